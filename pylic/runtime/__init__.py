"""Backends that run the four transforms on batches of patches: the float model (torch) and the bit-exact
emulator of a deploy package (the board's backend implements the same protocol)."""

from pylic.runtime.backend import Backend
from pylic.runtime.emulator import EmulatorBackend
from pylic.runtime.float_backend import TorchBackend

__all__ = ["Backend", "EmulatorBackend", "TorchBackend"]
