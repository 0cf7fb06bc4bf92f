import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pylic.codec import tiling
from pylic.codec.tiling import TileGrid, extract, reassemble
from pylic.errors import ImageError


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 700), w=st.integers(1, 700), overlap=st.sampled_from([0, 1, 8, 56, 128]))
def test_extract_reassemble_is_identity(h, w, overlap):
    rng = np.random.default_rng(h * 1000 + w)
    frame = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    grid = TileGrid(h, w, 256, overlap)
    patches = extract(frame, grid)
    assert patches.shape == (grid.count, 3, 256, 256)
    ph, pw = grid.padded_shape
    assert ph >= h and pw >= w and ph - h < grid.stride + 256 and pw - w < grid.stride + 256
    np.testing.assert_array_equal(reassemble(patches, grid), frame)


@pytest.mark.parametrize("overlap", [0, 16, 56, 128])
def test_ramps_sum_to_constant(overlap):
    grid = TileGrid(700, 1000, 256, overlap)
    ph, pw = grid.padded_shape
    acc = np.zeros((ph, pw), dtype=np.int64)
    for k, (y, x) in enumerate(grid.origins()):
        r, c = divmod(k, grid.cols)
        acc[y:y + 256, x:x + 256] += np.outer(grid.ramp(grid.rows, r), grid.ramp(grid.cols, c))
    assert (acc == (overlap + 1) ** 2).all()


def test_blend_rounds_half_up_between_patches():
    grid = TileGrid(256, 256 + 200, 256, 56)
    patches = np.zeros((2, 3, 256, 256), dtype=np.uint8)
    patches[1] = 255
    out = reassemble(patches, grid)
    seam = out[0, 200:256, 0].astype(int)
    assert seam[0] < 10 and seam[-1] > 245 and (np.diff(seam) >= 0).all()  # a smooth ramp, no step


def test_paper_720p_protocol():
    img = np.arange(512 * 768 * 3, dtype=np.uint32).reshape(512, 768, 3).astype(np.uint8)
    hd = tiling.tile_to_size(img)
    assert hd.shape == (720, 1280, 3)
    np.testing.assert_array_equal(hd[512:, :768], img[:208])
    grid = TileGrid(720, 1280, **{k: v for k, v in tiling.PAPER_720P.items() if k in ("patch", "overlap")})
    assert (grid.rows, grid.cols, grid.stride) == (4, 7, 200)  # 6 columns would cover only 1256


@pytest.mark.parametrize("args", [(0, 10), (10, 0), (40000, 10), (10, 10, 100), (10, 10, 256, 200)])
def test_bad_geometry_is_refused(args):
    with pytest.raises(ImageError):
        TileGrid(*args)
