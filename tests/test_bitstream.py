"""The `.plic` container under attack: v2 (what Codec writes) and v1 (still decodable). Every malformed file is a
BitstreamError, never a crash, a hang or an allocation out of proportion to the file."""

import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest

from pylic.codec import Codec, bitstream
from pylic.errors import BitstreamError
from pylic.ps import container, container_v1
from pylic.ps.container import varint
from tests.conftest import make_tiny_model
from pylic.runtime import TorchBackend


@pytest.fixture(scope="module")
def stream(tiny_backend, photo):
    return Codec(tiny_backend).encode(photo[:300, :280])


@pytest.fixture(scope="module")
def stream_v1(tiny_backend, photo):
    return Codec(tiny_backend, version=1).encode(photo[:300, :280])


def _v2(fields: dict, streams: list[bytes], flags: int = 0, raw_lengths: bytes | None = None) -> bytes:
    """A v2 frame with arbitrary (unvalidated) header fields and a valid checksum: an adversarial file."""
    out = struct.pack("<4sBB16s", b"PLIC", 2, flags, fields["hash"])
    for k in ("h", "w", "patch", "overlap"):
        out += varint(fields[k])
    out += raw_lengths if raw_lengths is not None else b"".join(varint(len(s)) for s in streams)
    out += b"".join(streams)
    return out + struct.pack("<I", zlib.crc32(out))


def _fields(stream: bytes) -> tuple[dict, list[bytes]]:
    header, streams = container.unpack(stream)
    return {"hash": header.model_hash, "h": header.height, "w": header.width, "patch": header.patch,
            "overlap": header.overlap}, streams


def test_pack_unpack_roundtrip():
    h = bitstream.Header(bytes(range(16)), 300, 520, 256, 0)
    streams = [bytes([i]) * (8 + 4 * i) for i in range(h.grid.count)]
    header, got = bitstream.unpack(bitstream.pack(h, streams))
    assert header == h and got == streams
    h1 = bitstream.Header(bytes(range(16)), 300, 520, 256, 0, "m", 3, 1)
    subs = [(bytes([i]) * (i + 1), bytes([i + 1]) * (2 * i + 1)) for i in range(h1.grid.count)]
    assert bitstream.read(bitstream.pack_v1(h1, subs)) == (h1, subs)


def test_v2_overhead_is_small(stream, stream_v1):
    """22 fixed bytes, 4 geometry varints, one length varint per patch, one CRC: 38 + 2 per patch here."""
    header, streams = container.unpack(stream)
    assert len(stream) - sum(map(len, streams)) <= 22 + 4 * 2 + 2 * len(streams) + 4
    assert len(stream) < len(stream_v1)


@pytest.mark.parametrize("which", ["v2", "v1"])
def test_truncation_at_every_offset_is_a_typed_error(stream, stream_v1, tiny_backend, which):
    data = stream if which == "v2" else stream_v1
    codec = Codec(tiny_backend)
    for n in range(len(data)):
        with pytest.raises(BitstreamError):
            codec.decode(data[:n])


@pytest.mark.parametrize("which", ["v2", "v1"])
def test_every_single_byte_flip_is_detected(stream, stream_v1, tiny_backend, which):
    data = stream if which == "v2" else stream_v1
    codec = Codec(tiny_backend)
    rng = np.random.default_rng(1)
    for pos in list(range(0, min(len(data), 120))) + list(rng.integers(0, len(data), 60)):
        bad = bytearray(data)
        bad[pos] ^= 1 << int(rng.integers(8))
        with pytest.raises(BitstreamError):
            codec.decode(bytes(bad))


@pytest.mark.parametrize("which", ["v2", "v1"])
def test_trailing_garbage_is_refused(stream, stream_v1, tiny_backend, which):
    with pytest.raises(BitstreamError):
        Codec(tiny_backend).decode((stream if which == "v2" else stream_v1) + b"\0")


@pytest.mark.parametrize("change,match", [
    ({"h": 0}, "invalid header"),
    ({"h": 30000, "w": 30000}, "decode limit"),
    ({"h": 5000, "w": 5000}, "too short"),
    ({"patch": 100}, "patch"),
    ({"patch": 4096, "h": 1, "w": 1}, "not the model's patch"),  # hole 1: 18 s and an untyped RuntimeError before
    ({"patch": 65472, "h": 1, "w": 1}, "not the model's patch"),  # hole 1: asked for 12 GiB before
    ({"overlap": 255}, "invalid header"),
    ({"h": 2**34}, "decode limit"),
])
def test_adversarial_v2_headers(stream, tiny_backend, change, match):
    fields, streams = _fields(stream)
    with pytest.raises(BitstreamError, match=match):
        Codec(tiny_backend).decode(_v2({**fields, **change}, streams))


@pytest.mark.parametrize("lengths,match", [
    (varint(2**34 - 1) * 2, "stream length"),
    (b"\x80\x80\x80\x80\x80\x01", "longer than"),
    (b"\x88\x00", "non-canonical"),
    (b"\x07", "stream length"),
])
def test_adversarial_v2_lengths(stream, tiny_backend, lengths, match):
    fields, streams = _fields(stream)
    with pytest.raises(BitstreamError, match=match):
        Codec(tiny_backend).decode(_v2(fields, streams, raw_lengths=lengths))


def test_unknown_flags_and_versions(stream, tiny_backend):
    fields, streams = _fields(stream)
    with pytest.raises(BitstreamError, match="flags"):
        Codec(tiny_backend).decode(_v2(fields, streams, flags=2))
    for version, match in ((3, "version"), (0, "version")):
        bad = bytearray(stream)
        bad[4] = version
        with pytest.raises(BitstreamError, match=match):
            Codec(tiny_backend).decode(bytes(bad))


def _rewrite_v1_header(stream: bytes, **fields) -> bytes:
    """Re-emit the v1 fixed header with some fields changed and a valid CRC (an adversarial file)."""
    names = ["magic", "version", "flags", "hash", "h", "w", "ch", "patch", "overlap", "count", "name_len"]
    fixed = container_v1._FIXED
    vals = dict(zip(names, fixed.unpack_from(stream)))
    vals.update(fields)
    end = fixed.size + vals["name_len"]
    head = fixed.pack(*[vals[n] for n in names]) + stream[fixed.size:end]
    return head + struct.pack("<I", zlib.crc32(head)) + stream[end + 4:]


@pytest.mark.parametrize("fields,match", [
    ({"magic": b"JPEG"}, "magic"),
    ({"version": 9}, "version"),
    ({"h": 0}, "invalid header"),
    ({"h": 30000, "w": 30000}, "decode limit"),
    ({"h": 5000, "w": 5000}, "patches"),
    ({"count": 2**31}, "patches"),
    ({"patch": 100}, "patch"),
    ({"patch": 4096, "h": 1, "w": 1, "count": 1}, "not the model's patch"),  # hole 1 reproducer (v1 layout)
    ({"overlap": 255}, "invalid header"),
    ({"ch": 1}, "channel"),
])
def test_adversarial_v1_headers(stream_v1, tiny_backend, fields, match):
    with pytest.raises(BitstreamError, match=match):
        Codec(tiny_backend).decode(_rewrite_v1_header(stream_v1, **fields))


def test_patch_of_another_model_is_refused_fast(stream, tiny_backend):
    """Hole 1: a CRC-valid 1x1 stream declaring patch 4096 is refused before any transform runs."""
    fields, streams = _fields(stream)
    bad = _v2({**fields, "h": 1, "w": 1, "patch": 4096}, streams[:1])
    t = time.perf_counter()
    with pytest.raises(BitstreamError, match="patch 4096"):
        Codec(tiny_backend).decode(bad)
    assert time.perf_counter() - t < 1.0


def test_bitstream_of_another_model_is_refused(stream):
    other = Codec(TorchBackend(make_tiny_model(seed=1), "other"))
    with pytest.raises(BitstreamError, match="not by other"):
        other.decode(stream)


@pytest.mark.parametrize("seed", range(4))
def test_forged_v2_streams_with_valid_crcs_are_refused(stream, tiny_backend, seed):
    """Garbage rANS data behind a valid checksum: the bounds-checked decoder refuses it (it cannot end where an
    encoder ends) instead of decoding past its buffer."""
    fields, streams = _fields(stream)
    rng = np.random.default_rng(seed)
    forged = [rng.integers(0, 256, len(s) + 4 * int(rng.integers(-1, 3)), dtype=np.uint8).tobytes() for s in streams]
    with pytest.raises(BitstreamError, match="rANS"):
        Codec(tiny_backend).decode(_v2(fields, forged))


def test_forged_v1_substreams_are_refused(stream_v1, tiny_backend):
    header, subs = container_v1.unpack(stream_v1)
    forged = [(z, b"\xff" * len(y)) for z, y in subs]
    with pytest.raises(BitstreamError, match="rANS"):
        Codec(tiny_backend).decode(container_v1.pack(header, forged))


def test_large_forged_substream_costs_memory_in_proportion(stream_v1, tiny_backend):
    """Hole 2: the old zero padding added 16x each substream's length (a 64 MiB file cost ~2.2 GB). Now an
    8 MiB CRC-valid forged substream is refused with a peak allocation of a few times the file."""
    header, subs = container_v1.unpack(stream_v1)
    big = np.random.default_rng(0).integers(0, 256, 8 << 20, dtype=np.uint8).tobytes()
    data = container_v1.pack(header, [(subs[0][0], big)] + subs[1:])
    tracemalloc.start()
    try:
        with pytest.raises(BitstreamError):
            Codec(tiny_backend).decode(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(data) + (8 << 20), peak


@pytest.mark.parametrize("context", [0, 8, 17, 112, 2**20])
def test_context_tiling_header_with_a_bad_context_is_refused(stream, tiny_backend, context):
    """flags = 1 (context tiling) makes the overlap field the context: a multiple of 16 in 16..96 for 256 patches."""
    fields, streams = _fields(stream)
    with pytest.raises(BitstreamError, match="context"):
        Codec(tiny_backend).decode(_v2({**fields, "overlap": context}, streams, flags=1))
