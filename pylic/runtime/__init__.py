"""Backends that run the four transforms on batches of patches (float torch now; emulator, board later)."""

from pylic.runtime.backend import Backend
from pylic.runtime.float_backend import TorchBackend

__all__ = ["Backend", "TorchBackend"]
