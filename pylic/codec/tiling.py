"""Re-export of `pylic.ps.tiling`, the one tiling definition (kept so `pylic.codec.tiling` imports still work)."""

from pylic.ps.tiling import (MAX_SIDE, PAPER_720P, PATCH, TileGrid, extract, extract_patch, merge_patch,
                             reassemble, tile_to_size)

__all__ = ["MAX_SIDE", "PAPER_720P", "PATCH", "TileGrid", "extract", "extract_patch", "merge_patch", "reassemble",
           "tile_to_size"]
