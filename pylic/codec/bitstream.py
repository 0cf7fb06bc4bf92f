"""Old import path of the `.plic` container: it lives in `pylic.ps.container` (v2, the reader of both
versions) and `pylic.ps.container_v1` (v1) so that the board reads it without torch."""

from pylic.ps.container import HASH_BYTES, MAGIC, MAX_PATCH, MAX_PIXELS, VERSION, Header, pack, read, read_header, unpack
from pylic.ps.container_v1 import _FIXED as _FIXED_V1
from pylic.ps.container_v1 import pack as pack_v1
from pylic.ps.container_v1 import unpack as unpack_v1

__all__ = ["HASH_BYTES", "MAGIC", "MAX_PATCH", "MAX_PIXELS", "VERSION", "Header", "pack", "pack_v1", "read", "read_header",
           "unpack", "unpack_v1", "_FIXED_V1"]
