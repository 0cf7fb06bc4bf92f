"""Backends that run the four transforms on batches of patches: the float model (torch) and the bit-exact
emulator of a deploy package (the board's backend implements the same protocol). Imported lazily."""

from pylic.lazy import lazy_getattr

_EXPORTS = {"Backend": "pylic.runtime.backend", "EmulatorBackend": "pylic.runtime.emulator",
            "TorchBackend": "pylic.runtime.float_backend"}
__all__ = ["Backend", "EmulatorBackend", "TorchBackend"]
__getattr__ = lazy_getattr(__name__, _EXPORTS)
