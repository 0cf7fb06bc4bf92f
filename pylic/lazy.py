"""Lazy package attributes (PEP 562): a package `__init__` names what it exports and where it lives, and the
module is imported on first use. `import pylic.deploy` must not drag torch onto a board that has none."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` resolving `exports` (attribute -> module path) on first access."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals_ = importlib.import_module(package).__dict__
        globals_[name] = value  # cache: later look-ups skip __getattr__
        return value

    return __getattr__
