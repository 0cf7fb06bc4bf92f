import struct
import zlib

import numpy as np
import pytest

from pylic.codec import Codec, bitstream
from pylic.errors import BitstreamError
from tests.conftest import make_tiny_model
from pylic.runtime import TorchBackend


@pytest.fixture(scope="module")
def stream(tiny_backend, photo):
    return Codec(tiny_backend).encode(photo[:300, :280])


def test_pack_unpack_roundtrip():
    h = bitstream.Header(bytes(range(16)), 300, 520, 256, 0, "m")
    subs = [(bytes([i]) * (i + 1), bytes([i + 1]) * (2 * i + 1)) for i in range(h.grid.count)]
    header, got = bitstream.unpack(bitstream.pack(h, subs))
    assert header == h and got == subs


def test_truncation_at_every_offset_is_a_typed_error(stream, tiny_backend):
    codec = Codec(tiny_backend)
    for n in range(len(stream)):
        with pytest.raises(BitstreamError):
            codec.decode(stream[:n])


def test_every_single_byte_flip_is_detected(stream, tiny_backend):
    codec = Codec(tiny_backend)
    rng = np.random.default_rng(1)
    for pos in list(range(0, min(len(stream), 120))) + list(rng.integers(0, len(stream), 60)):
        bad = bytearray(stream)
        bad[pos] ^= 1 << int(rng.integers(8))
        with pytest.raises(BitstreamError):
            codec.decode(bytes(bad))


def test_trailing_garbage_is_refused(stream, tiny_backend):
    with pytest.raises(BitstreamError, match="trailing"):
        Codec(tiny_backend).decode(stream + b"\0")


def _rewrite_header(stream: bytes, **fields) -> bytes:
    """Re-emit the fixed header with some fields changed and a valid CRC (an adversarial file)."""
    names = ["magic", "version", "flags", "hash", "h", "w", "ch", "patch", "overlap", "count", "name_len"]
    vals = dict(zip(names, bitstream._FIXED.unpack_from(stream)))
    vals.update(fields)
    end = bitstream._FIXED.size + vals["name_len"]
    head = bitstream._FIXED.pack(*[vals[n] for n in names]) + stream[bitstream._FIXED.size:end]
    return head + struct.pack("<I", zlib.crc32(head)) + stream[end + 4:]


@pytest.mark.parametrize("fields,match", [
    ({"magic": b"JPEG"}, "magic"),
    ({"version": 9}, "version"),
    ({"h": 0}, "invalid header"),
    ({"h": 30000, "w": 30000}, "decode limit"),
    ({"h": 5000, "w": 5000}, "patches"),
    ({"count": 2**31}, "patches"),
    ({"patch": 100}, "invalid header"),
    ({"overlap": 255}, "invalid header"),
    ({"ch": 1}, "channel"),
])
def test_adversarial_headers(stream, tiny_backend, fields, match):
    with pytest.raises(BitstreamError, match=match):
        Codec(tiny_backend).decode(_rewrite_header(stream, **fields))


def test_bitstream_of_another_model_is_refused(stream):
    other = Codec(TorchBackend(make_tiny_model(seed=1), "other"))
    with pytest.raises(BitstreamError, match="not by other"):
        other.decode(stream)


def test_forged_substream_with_valid_crcs_does_not_crash(stream, tiny_backend):
    """A crafted y substream (valid checksums, garbage rANS data) decodes to some image, never
    reads outside its buffer (the decoder pads), and the shape is still right."""
    header, subs = bitstream.unpack(stream)
    forged = [(z, b"\xff" * len(y)) for z, y in subs]
    out = Codec(tiny_backend).decode(bitstream.pack(header, forged))
    assert out.shape == (300, 280, 3)
