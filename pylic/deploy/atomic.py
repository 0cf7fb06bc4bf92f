"""Atomic folder writes: an interrupted export never leaves a half-written package behind (single files go
through pylic.imageio.atomic_write)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def temp_dir_beside(final: Path) -> Path:
    """A fresh folder in the same parent as `final` (so that os.replace into place is atomic)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))


def publish_dir(tmp: Path, final: Path) -> bool:
    """Rename a completed temp folder into place. Returns False (and removes tmp) if `final` already exists."""
    try:
        os.rename(tmp, final)
        return True
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if final.exists():
            return False
        raise
