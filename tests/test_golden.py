"""Golden bitstreams: the exact `.plic` bytes the shipped deploy packages write (SHA-256 committed in
tests/golden/golden.json, the small ones also as files) and the SHA-256 of the pixels they decode to.

A change of any byte fails here: tiling, the integer transforms, the prior path, the coder or the container.
Regenerate only on purpose: `PYLIC_REGEN_GOLDEN=1 pytest tests/test_golden.py` (then review the diff and say why
in the commit). The v1 file was also written, byte for byte, by pylic before container v2 and its own rANS core
existed (checked when it was committed), so it stands for the streams already in users' hands.
Inputs are skimage's astronaut (shipped with scikit-image), cropped or tiled to each size.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from pylic.codec import Codec
from pylic.codec.tiling import tile_to_size

GOLDEN = Path(__file__).with_name("golden")
INDEX = GOLDEN / "golden.json"
REGEN = os.environ.get("PYLIC_REGEN_GOLDEN") == "1"
FILE_LIMIT = 8192  # streams up to this size are committed as files too
# (package, height, width, overlap, container version[, context of latent-domain tiling])
CASES = [
    ("pylic-student-q2-int8", 256, 256, 0, 2),
    ("pylic-student-q2-int8", 256, 256, 0, 1),
    ("pylic-student-q1-int8", 256, 256, 0, 2),
    ("pylic-student-q3-int8", 256, 256, 0, 2),
    ("pylic-student-q2-int8", 333, 500, 0, 2),
    ("pylic-student-q2-int8", 720, 1280, 0, 2),
    ("pylic-student-q2-int8", 720, 1280, 56, 2),
    ("pylic-student-q2-int8", 333, 500, 0, 2, 32),
    ("pylic-student-q2-int8", 720, 1280, 0, 2, 32),
    ("pylic-student-v2-q1-int8", 256, 256, 0, 2),
    ("pylic-student-v2-q2-int8", 256, 256, 0, 2),
    ("pylic-student-v2-q3-int8", 256, 256, 0, 2),
    ("pylic-student-v2-q4-int8", 256, 256, 0, 2),
    ("pylic-student-v2-q2-int8", 720, 1280, 56, 2),
    ("pylic-student-v2-q2-int8", 720, 1280, 0, 2, 32),
]


def case_id(case) -> str:
    pkg, h, w, o, v, *ctx = case
    return f"{pkg}-{w}x{h}-o{o}-v{v}" + (f"-c{ctx[0]}" if ctx else "")


def frame(h: int, w: int) -> np.ndarray:
    from skimage import data

    img = np.ascontiguousarray(data.astronaut())
    return np.ascontiguousarray(img[:h, :w]) if h <= img.shape[0] and w <= img.shape[1] else tile_to_size(img, h, w)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture(scope="module")
def backends():
    from pylic.deploy.store import load
    from pylic.runtime.emulator import EmulatorBackend
    from pylic.zoo.packages import resolve_package

    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = EmulatorBackend(load(resolve_package(name)))
        return cache[name]

    yield get
    for b in cache.values():
        b.close()


@pytest.fixture(scope="module")
def index():
    entries = json.loads(INDEX.read_text()) if INDEX.is_file() else {}
    yield entries
    if REGEN:
        INDEX.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_golden_bitstream(case, backends, index):
    pkg, h, w, overlap, version, *ctx = case
    key = case_id(case)
    codec = Codec(backends(pkg), overlap=overlap, version=version, context=ctx[0] if ctx else 0)
    data = codec.encode(frame(h, w))
    pixels = codec.decode(data)
    if REGEN:
        index[key] = {"plic_sha256": sha(data), "bytes": len(data), "decoded_sha256": sha(pixels.tobytes())}
        if len(data) <= FILE_LIMIT:
            (GOLDEN / f"{key}.plic").write_bytes(data)
        return
    if key not in index:
        pytest.fail(f"no golden entry {key}; run with PYLIC_REGEN_GOLDEN=1 to create it")
    want = index[key]
    assert (sha(data), len(data)) == (want["plic_sha256"], want["bytes"]), "encoder output changed"
    assert sha(pixels.tobytes()) == want["decoded_sha256"], "decoder output changed"
    stored = GOLDEN / f"{key}.plic"
    if stored.is_file():  # the committed bytes decode to the same pixels (old streams stay decodable)
        assert sha(codec.decode(stored.read_bytes()).tobytes()) == want["decoded_sha256"]


def test_package_refuses_a_stream_with_another_patch(backends):
    """Hole 1 (issue 9): the int8 package decoded a patch-2048 stream though its manifest says 256. Now the header's
    patch must be the package's, checked before anything is allocated; a Codec cannot be built for another patch."""
    from pylic.errors import BitstreamError, ImageError
    from pylic.ps import container

    emu = backends("pylic-student-q2-int8")
    data = (GOLDEN / "pylic-student-q2-int8-256x256-o0-v2.plic").read_bytes()
    header, streams = container.unpack(data)
    forged = container.pack(container.Header(header.model_hash, 1, 1, 2048, 0), streams[:1])
    with pytest.raises(BitstreamError, match="not the model's patch 256"):
        Codec(emu).decode(forged)
    with pytest.raises(ImageError, match="patch 512"):
        Codec(emu, patch=512)
