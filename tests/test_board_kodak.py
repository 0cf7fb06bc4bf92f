"""Host mode on real photographs with a shipped package: byte-identical to `pylic.api.codec_for(package=...)`
at 768x512 and tiled to 1280x720 with overlap 0 and 56 (one image by default, the rest under `slow`)."""

from __future__ import annotations

import numpy as np
import pytest

from pylic.api import codec_for
from pylic.board.session import open_session
from pylic.codec.tiling import tile_to_size
from pylic.eval.images import kodak_available, load_kodak

PACKAGE = "pylic-student-q2-int8"
pytestmark = pytest.mark.skipif(not kodak_available(), reason="Kodak images not found at ../shared/data/kodak")


@pytest.fixture(scope="module")
def session(one_torch_thread):
    return open_session(PACKAGE)


@pytest.fixture(scope="module")
def kodak():
    return list(load_kodak().values())


def _check(session, image: np.ndarray, overlap: int, modes=("pipelined", "sequential")) -> None:
    ref = codec_for(package=PACKAGE, overlap=overlap)
    expected = ref.encode(image)
    for mode in modes:
        codec = session.codec(mode, overlap)
        assert codec.encode(image) == expected, f"{mode} overlap {overlap}"
    np.testing.assert_array_equal(session.codec("pipelined", overlap).decode(expected), ref.decode(expected))


def test_one_kodak_image_768x512(session, kodak):
    _check(session, kodak[22], 0)


@pytest.mark.slow
@pytest.mark.parametrize("overlap", [0, 56])
def test_kodak_tiled_to_720p(session, kodak, overlap):
    for image in kodak[::6]:
        _check(session, tile_to_size(image), overlap)


@pytest.mark.slow
def test_every_kodak_image_768x512(session, kodak):
    for image in kodak:
        _check(session, image, 0, modes=("pipelined",))
