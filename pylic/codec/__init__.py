"""Host codec: tiling into fixed patches, entropy coding, the `.plic` container, Codec API."""

from pylic.codec.bitstream import Header, pack, unpack
from pylic.codec.codec import Codec
from pylic.codec.tiling import TileGrid

__all__ = ["Codec", "Header", "TileGrid", "pack", "unpack"]
