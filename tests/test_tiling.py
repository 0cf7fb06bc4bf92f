"""The one tiling (pylic.ps.tiling): clamp-to-edge extraction, power-of-two ramp blend merged in stream order."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pylic.codec import tiling
from pylic.errors import ImageError
from pylic.ps.tiling import TileGrid, extract, extract_patch, merge_patch, reassemble


def weighted_mean(patches: np.ndarray, grid: TileGrid) -> np.ndarray:
    """The closed form the streaming merge must equal: (sum_k w_k p_k + 2**(2B-1)) >> 2B over the padded grid."""
    ph, pw = grid.padded_shape
    acc = np.zeros((patches.shape[1], ph, pw), dtype=np.int64)
    for k, (y, x) in enumerate(grid.origins()):
        r, c = divmod(k, grid.cols)
        w = np.outer(grid.weights(r, grid.rows), grid.weights(c, grid.cols))
        acc[:, y:y + grid.patch, x:x + grid.patch] += patches[k].astype(np.int64) * w
    out = (acc + (1 << grid.shift >> 1)) >> grid.shift
    return out[:, :grid.height, :grid.width].transpose(1, 2, 0).astype(np.uint8)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 700), w=st.integers(1, 700), overlap=st.sampled_from([0, 1, 8, 56, 63, 64, 128]))
def test_extract_reassemble_is_identity_and_merge_is_the_weighted_mean(h, w, overlap):
    rng = np.random.default_rng(h * 1000 + w)
    frame = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    grid = TileGrid(h, w, 256, overlap)
    patches = extract(frame, grid)
    assert patches.shape == (grid.count, 3, 256, 256)
    np.testing.assert_array_equal(reassemble(patches, grid), frame)
    other = rng.integers(0, 256, patches.shape, dtype=np.uint8)
    np.testing.assert_array_equal(reassemble(other, grid), weighted_mean(other, grid))


@pytest.mark.parametrize("overlap", [0, 1, 16, 56, 63, 64, 128])
def test_weights_sum_to_a_power_of_two_everywhere(overlap):
    grid = TileGrid(700, 1000, 256, overlap)
    ph, pw = grid.padded_shape
    acc = np.zeros((ph, pw), dtype=np.int64)
    for k, (y, x) in enumerate(grid.origins()):
        r, c = divmod(k, grid.cols)
        acc[y:y + 256, x:x + 256] += np.outer(grid.weights(r, grid.rows), grid.weights(c, grid.cols))
    assert (acc == 1 << grid.shift).all()
    a = grid.ramp()
    assert len(a) == overlap and (a > 0).all() and (a < 1 << grid.weight_bits).all() and (np.diff(a) > 0).all()
    assert 255 * (1 << grid.shift) + (1 << grid.shift >> 1) < 1 << grid.acc_bits


def test_overlap_56_needs_a_20_bit_accumulator_and_a_12_bit_shift():
    grid = TileGrid(720, 1280, 256, 56)
    assert (grid.weight_bits, grid.shift, grid.acc_bits) == (6, 12, 20)
    assert list(grid.ramp()[:4]) == [1, 2, 3, 4] and grid.ramp()[-1] == 63


def test_extraction_clamps_to_the_edge_and_small_frames_work():
    frame = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    grid = TileGrid(5, 7, 128, 8)
    assert grid.count == 1
    p = extract_patch(frame, grid, 0)
    assert p.shape == (128, 128, 3)
    np.testing.assert_array_equal(p[:5, :7], frame)
    np.testing.assert_array_equal(p[127, 127], frame[4, 6])
    np.testing.assert_array_equal(p[2, 40], frame[2, 6])
    np.testing.assert_array_equal(reassemble(extract(frame, grid), grid), frame)


def test_blend_is_a_smooth_ramp_between_patches():
    grid = TileGrid(256, 256 + 200, 256, 56)
    patches = np.zeros((2, 3, 256, 256), dtype=np.uint8)
    patches[1] = 255
    seam = reassemble(patches, grid)[0, 200:256, 0].astype(int)
    assert seam[0] < 10 and seam[-1] > 245 and (np.diff(seam) >= 0).all()
    assert np.diff(seam).max() <= 8  # at most 2 of the 64 weight levels per pixel


def test_merge_never_reads_an_accumulator_it_did_not_write():
    rng = np.random.default_rng(3)
    grid = TileGrid(333, 500, 256, 56)
    patches = rng.integers(0, 256, (grid.count, 256, 256, 3), dtype=np.uint8)
    outs = []
    for fill in (0, 0xFFFFFFFF):
        frame = np.zeros((333, 500, 3), np.uint8)
        acc = np.full(frame.shape, fill, dtype=np.uint32)
        for k in range(grid.count):
            merge_patch(frame, acc, patches[k], grid, k)
        outs.append(frame)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], reassemble(patches.transpose(0, 3, 1, 2), grid))


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


def test_bad_inputs_are_refused():
    grid = TileGrid(10, 10, 128, 8)
    frame = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ImageError):
        extract_patch(frame.astype(np.float32), grid, 0)
    with pytest.raises(ImageError):
        extract_patch(frame, grid, 1)
    with pytest.raises(ImageError):
        merge_patch(frame, np.zeros((10, 10, 3), np.int64), np.zeros((128, 128, 3), np.uint8), grid, 0)
    with pytest.raises(ImageError):
        reassemble(np.zeros((2, 3, 128, 128), np.uint8), grid)


def test_codec_tiling_is_a_re_export_and_ps_tiling_needs_no_torch():
    assert tiling.reassemble is reassemble and tiling.TileGrid is TileGrid
    code = ("import sys, pylic.ps.tiling; "
            "assert 'torch' not in sys.modules and 'compressai' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("h,w,overlap", [(720, 1280, 56), (333, 500, 56), (481, 321, 0), (20, 30, 32)])
def test_extraction_equals_edge_replicated_padding(h, w, overlap):
    """Streams encoded before the one-tiling change (np.pad mode="edge") keep their patches, hence their bytes."""
    frame = np.random.default_rng(h + w).integers(0, 256, (h, w, 3), dtype=np.uint8)
    grid = TileGrid(h, w, 256, overlap)
    ph, pw = grid.padded_shape
    padded = np.pad(frame, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    want = np.stack([padded[y:y + 256, x:x + 256] for y, x in grid.origins()]).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(extract(frame, grid), want)
