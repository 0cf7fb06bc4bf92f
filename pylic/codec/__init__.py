"""Host codec: tiling into fixed patches, entropy coding, the `.plic` container, Codec API.

Exports are imported lazily: `pylic.codec.bitstream` (the size limit, the container) must not import the
torch-based coder just because the package initialises."""

from pylic.lazy import lazy_getattr

_EXPORTS = {"Codec": "pylic.codec.codec", "Header": "pylic.codec.bitstream", "pack": "pylic.codec.bitstream",
            "unpack": "pylic.codec.bitstream", "TileGrid": "pylic.codec.tiling"}
__all__ = ["Codec", "Header", "TileGrid", "pack", "unpack"]
__getattr__ = lazy_getattr(__name__, _EXPORTS)
