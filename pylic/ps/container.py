"""The `.plic` container, version 2 (byte table in docs/bitstream.md), and the reader for both versions.

v2 spends on each frame: a 22-byte fixed part, four varints of geometry, one varint length per patch and one
CRC-32 at the end; each patch is ONE rANS stream holding its z and then its y symbols (only the latent positions
that can reach the frame, `pylic.ps.footprint`). v1 (`container_v1`) stays readable.

Parsing order is the safety argument: length and checksum first (nothing allocated yet), then every header
field bounded (the patch must be the model's when the caller knows it, the pixel count below `max_pixels`),
then the patch count from the geometry checked against the bytes left before a list proportional to it is built,
then every stream length bounded by the bytes left and the total required to match the file exactly.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pylic.errors import BitstreamError, ImageError

MAGIC = b"PLIC"
VERSION = 2
HASH_BYTES = 16
MAX_PIXELS = 1 << 26  # default decode limit (8192x8192); callers may raise it explicitly
MAX_PATCH = 1024  # no shipped model has a larger patch; the caller's own patch is checked too
MIN_STREAM = 8  # a rANS stream is at least its 64-bit final state
_FIXED = struct.Struct("<4sBB16s")
_U32 = struct.Struct("<I")
_VARINT_MAX = 5  # enough for 2**35 - 1

PATCH_TILING, CONTEXT_TILING = 0, 1  # the flags byte (`pylic.ps.tiling` / `pylic.ps.context_tiling`)

if TYPE_CHECKING:
    from pylic.ps.context_tiling import ContextGrid
    from pylic.ps.tiling import TileGrid


@dataclass(frozen=True)
class Header:
    model_hash: bytes
    height: int
    width: int
    patch: int
    overlap: int
    model_name: str = ""  # v1 only; v2 identifies the model by its hash
    channels: int = 3
    version: int = VERSION
    mode: int = PATCH_TILING  # v2 flags byte: CONTEXT_TILING makes `overlap` the context of latent tiling

    @property
    def grid(self) -> TileGrid:
        """The patches, or with context tiling the coding tiles (one stream each either way)."""
        from pylic.ps.tiling import TileGrid

        return TileGrid(self.height, self.width, self.patch, 0 if self.mode == CONTEXT_TILING else self.overlap)

    @property
    def context(self) -> int:
        return self.overlap if self.mode == CONTEXT_TILING else 0

    def context_grid(self) -> ContextGrid:
        from pylic.ps.context_tiling import ContextGrid

        return ContextGrid(self.height, self.width, self.patch, self.overlap)


def varint(n: int) -> bytes:
    """Unsigned LEB128: 7 bits per byte, low first, high bit = more bytes follow."""
    if n < 0:
        raise ValueError("varints are unsigned")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(data: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    """(value, next position); canonical encodings only (no overlong form), at most 5 bytes, never past `end`."""
    value = 0
    for i in range(_VARINT_MAX):
        if pos + i >= end:
            raise BitstreamError(f"truncated {what}")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise BitstreamError(f"non-canonical varint in {what}")
            return value, pos + i + 1
    raise BitstreamError(f"{what} is longer than {_VARINT_MAX} bytes")


def pack(header: Header, streams: list[bytes]) -> bytes:
    """Serialize a v2 frame: header, one stream per patch (z then y symbols), CRC-32."""
    if len(header.model_hash) != HASH_BYTES:
        raise ValueError("model hash must be 16 bytes")
    if len(streams) != header.grid.count:
        raise ValueError(f"{len(streams)} streams for {header.grid.count} patches")
    out = bytearray(_FIXED.pack(MAGIC, VERSION, header.mode, header.model_hash))
    for v in (header.height, header.width, header.patch, header.overlap, *map(len, streams)):
        out += varint(v)
    for s in streams:
        out += s
    out += _U32.pack(zlib.crc32(out))
    return bytes(out)


def version_of(data: bytes) -> int:
    """The version byte, after the length and magic checks every reader starts with."""
    if len(data) < _FIXED.size + 4 + _U32.size:  # the smallest v2 frame header; v1's is longer
        raise BitstreamError(f"truncated: {len(data)} bytes is shorter than a .plic header")
    if bytes(data[:4]) != MAGIC:
        raise BitstreamError("not a .plic bitstream (bad magic)")
    return data[4]


def _header(data: bytes, max_pixels: int, patch: int | None) -> tuple[Header, int]:
    if len(data) < _FIXED.size + 4 + _U32.size:
        raise BitstreamError(f"truncated: {len(data)} bytes is shorter than a .plic v2 header")
    end = len(data) - _U32.size
    if zlib.crc32(memoryview(data)[:end]) != _U32.unpack_from(data, end)[0]:
        raise BitstreamError("checksum mismatch (corrupt or truncated bitstream)")
    _, _, flags, mhash = _FIXED.unpack_from(data)
    if flags not in (PATCH_TILING, CONTEXT_TILING):
        raise BitstreamError(f"unsupported flags {flags}")
    pos, fields = _FIXED.size, []
    for what in ("height", "width", "patch", "overlap"):
        v, pos = read_varint(data, pos, end, what)
        fields.append(v)
    h, w, p, o = fields
    if p > MAX_PATCH or (patch is not None and p != patch):
        raise BitstreamError(f"header patch {p} is not the model's patch {patch if patch is not None else '(any)'}"
                             if patch is not None else f"header patch {p} exceeds {MAX_PATCH}")
    if h * w > max_pixels:
        raise BitstreamError(f"image {h}x{w} exceeds the decode limit of {max_pixels} pixels")
    try:
        header = Header(mhash, h, w, p, o, mode=flags)
        header.grid.count
        if flags == CONTEXT_TILING:
            header.context_grid()
    except ImageError as exc:
        raise BitstreamError(f"invalid header: {exc}") from None
    return header, pos


def unpack(data: bytes, max_pixels: int = MAX_PIXELS, patch: int | None = None) -> tuple[Header, list[bytes]]:
    """Parse and validate a whole v2 frame; BitstreamError on any inconsistency."""
    data = bytes(data)
    if version_of(data) != VERSION:
        raise BitstreamError(f"unsupported .plic version {data[4]} (this reader: {VERSION})")
    header, pos = _header(data, max_pixels, patch)
    end = len(data) - _U32.size
    count = header.grid.count
    if count * (1 + MIN_STREAM) > end - pos:
        raise BitstreamError(f"header declares {count} patches, the file is too short to hold them")
    lengths = []
    for i in range(count):
        n, pos = read_varint(data, pos, end, f"length of patch {i}")
        if n < MIN_STREAM or n > end - pos:
            raise BitstreamError(f"patch {i}: stream length {n} outside {MIN_STREAM}..{end - pos}")
        lengths.append(n)
    if pos + sum(lengths) != end:
        raise BitstreamError(f"payload is {end - pos} bytes, the table declares {sum(lengths)}")
    streams = []
    for n in lengths:
        streams.append(data[pos:pos + n])
        pos += n
    return header, streams


def read(data: bytes, max_pixels: int = MAX_PIXELS, patch: int | None = None) -> tuple[Header, list]:
    """Either version: (header, [stream per patch]) for v2, (header, [(z, y) per patch]) for v1."""
    if version_of(data) == 1:
        from pylic.ps import container_v1

        header, subs = container_v1.unpack(data, max_pixels, patch)
        return header, subs
    return unpack(data, max_pixels, patch)


def read_header(data: bytes, max_pixels: int = MAX_PIXELS, patch: int | None = None) -> Header:
    """The validated header of either version (v2: after the frame checksum)."""
    if version_of(data) == 1:
        from pylic.ps import container_v1

        return container_v1.unpack_header(bytes(data), max_pixels, patch)[0]
    if data[4] != VERSION:
        raise BitstreamError(f"unsupported .plic version {data[4]} (this reader: 1 and {VERSION})")
    return _header(bytes(data), max_pixels, patch)[0]
