"""The `.plic` container version 1 (DESIGN §6), kept so that every v1 stream stays decodable; little-endian:

    magic "PLIC" | version u8 | flags u8 | model hash 16B | height u32 | width u32 | channels u8
    | patch u16 | overlap u16 | patches u32 | name_len u8 | name | header CRC32 u32
    | per patch: z_len u32, y_len u32, payload CRC32 u32 | table CRC32 u32
    | payloads: z_0 y_0 z_1 y_1 ...

Every field is validated before it is used; the declared lengths must account for the file exactly,
so nothing is read past declared bounds, and the patch count is checked against the geometry before
anything proportional to it is allocated. The header's patch must be the decoding model's when the caller
passes it (hole 1 of issue 9), and at most `container.MAX_PATCH` otherwise.
"""

from __future__ import annotations

import struct
import zlib

from pylic.errors import BitstreamError, ImageError
from pylic.ps.container import HASH_BYTES, MAGIC, MAX_PATCH, MAX_PIXELS, Header

VERSION = 1
_FIXED = struct.Struct("<4sBB16sIIBHHIB")
_ENTRY = struct.Struct("<III")
_U32 = struct.Struct("<I")


def pack(header: Header, substreams: list[tuple[bytes, bytes]]) -> bytes:
    """Serialize a header and one (z, y) substream pair per patch."""
    if len(header.model_hash) != HASH_BYTES:
        raise ValueError("model hash must be 16 bytes")
    if len(substreams) != header.grid.count:
        raise ValueError(f"{len(substreams)} substreams for {header.grid.count} patches")
    name = header.model_name.encode("ascii")[:64]
    head = _FIXED.pack(MAGIC, VERSION, 0, header.model_hash, header.height, header.width, header.channels,
                       header.patch, header.overlap, len(substreams), len(name)) + name
    head += _U32.pack(zlib.crc32(head))
    table = b"".join(_ENTRY.pack(len(z), len(y), zlib.crc32(y, zlib.crc32(z))) for z, y in substreams)
    table += _U32.pack(zlib.crc32(table))
    return head + table + b"".join(z + y for z, y in substreams)


def _fail(msg: str) -> BitstreamError:
    return BitstreamError(msg)


def unpack_header(data: bytes, max_pixels: int = MAX_PIXELS, patch: int | None = None) -> tuple[Header, int, int]:
    """Parse and validate the header; returns it, the patch count and the table offset."""
    if len(data) < _FIXED.size:
        raise _fail(f"truncated: {len(data)} bytes is shorter than a .plic header")
    magic, version, flags, mhash, h, w, ch, hpatch, overlap, count, name_len = _FIXED.unpack_from(data)
    if magic != MAGIC:
        raise _fail("not a .plic bitstream (bad magic)")
    if version != VERSION:
        raise _fail(f"unsupported .plic version {version} (this pylic reads version {VERSION})")
    end = _FIXED.size + name_len
    if len(data) < end + 4:
        raise _fail("truncated header")
    if zlib.crc32(data[:end]) != _U32.unpack_from(data, end)[0]:
        raise _fail("header checksum mismatch (corrupt bitstream)")
    if flags != 0 or ch != 3:
        raise _fail(f"unsupported flags {flags} / channel count {ch}")
    if hpatch > MAX_PATCH or (patch is not None and hpatch != patch):
        raise _fail(f"header patch {hpatch} is not the model's patch {patch if patch is not None else '(any)'}"
                    if patch is not None else f"header patch {hpatch} exceeds {MAX_PATCH}")
    try:
        name = data[_FIXED.size:end].decode("ascii")
        header = Header(mhash, h, w, hpatch, overlap, name, ch, VERSION)
        grid = header.grid
    except (UnicodeDecodeError, ImageError) as exc:
        raise _fail(f"invalid header: {exc}") from None
    if h * w > max_pixels:
        raise _fail(f"image {h}x{w} exceeds the decode limit of {max_pixels} pixels")
    if count != grid.count:
        raise _fail(f"header declares {count} patches, geometry needs {grid.count}")
    return header, count, end + 4


def unpack(data: bytes, max_pixels: int = MAX_PIXELS, patch: int | None = None
           ) -> tuple[Header, list[tuple[bytes, bytes]]]:
    """Parse a whole bitstream; raises BitstreamError on any inconsistency."""
    data = bytes(data)
    header, count, off = unpack_header(data, max_pixels, patch)
    table_end = off + count * _ENTRY.size
    if len(data) < table_end + 4:
        raise _fail("truncated patch table")
    table = data[off:table_end]
    if zlib.crc32(table) != _U32.unpack_from(data, table_end)[0]:
        raise _fail("patch table checksum mismatch (corrupt bitstream)")
    entries = [_ENTRY.unpack_from(table, i * _ENTRY.size) for i in range(count)]
    pos = table_end + 4
    total = pos + sum(z + y for z, y, _ in entries)
    if total != len(data):
        what = "truncated" if total > len(data) else "trailing bytes after"
        raise _fail(f"{what} payload: table declares {total} bytes, file has {len(data)}")
    subs = []
    for i, (zl, yl, crc) in enumerate(entries):
        if zl == 0 or yl == 0:
            raise _fail(f"patch {i}: empty substream")
        z, y = data[pos:pos + zl], data[pos + zl:pos + zl + yl]
        if zlib.crc32(y, zlib.crc32(z)) != crc:
            raise _fail(f"patch {i}: payload checksum mismatch (corrupt bitstream)")
        subs.append((z, y))
        pos += zl + yl
    return header, subs
