"""Golden patch buffer: windows tile any frame, extraction pads with zeros, merging reassembles exactly."""

from __future__ import annotations

import numpy as np
import pytest

from pylic.errors import PylicError
from pylic.eval import photos
from pylic.fixed.patch_buffer import PatchWindow, extract_patch, merge_patch, tile_grid


@pytest.mark.parametrize("h,w,overlap", [(512, 512, 32), (300, 451, 32), (720, 1280, 56), (100, 80, 0), (257, 256, 8)])
def test_owned_rectangles_partition_the_frame(h, w, overlap):
    count = np.zeros((h, w), dtype=int)
    for win in tile_grid(h, w, 256, overlap):
        assert 0 <= win.r0 < win.r1 <= 256 and 0 <= win.c0 < win.c1 <= 256
        count[win.y0 + win.r0:win.y0 + win.r1, win.x0 + win.c0:win.x0 + win.c1] += 1
    assert (count == 1).all()


def test_720p_grid_matches_the_paper_protocol_count():
    # 1280x720 with 256x256 patches and 56-pixel overlap: stride 200 -> 4 rows x 7 columns
    assert len(tile_grid(720, 1280, 256, 56)) == 28


def test_extract_pads_with_zero_and_merge_reassembles(photo):
    frame = photo[:300, :451]
    rebuilt = np.zeros_like(frame)
    for win in tile_grid(*frame.shape[:2], 256, 32):
        p = extract_patch(frame, win.y0, win.x0)
        assert p.shape == (256, 256, 3)
        inside_h, inside_w = min(256, 300 - win.y0), min(256, 451 - win.x0)
        assert not p[inside_h:].any() and not p[:, inside_w:].any()
        np.testing.assert_array_equal(p[:inside_h, :inside_w], frame[win.y0:win.y0 + inside_h, win.x0:win.x0 + inside_w])
        rebuilt = merge_patch(rebuilt, p, win)
    np.testing.assert_array_equal(rebuilt, frame)


def test_negative_origin_and_merge_clip():
    frame = np.arange(10 * 10 * 3, dtype=np.uint8).reshape(10, 10, 3)
    p = extract_patch(frame, -2, -3, patch=4)
    assert not p[:2].any() and not p[:, :3].any()
    np.testing.assert_array_equal(p[2:, 3:], frame[:2, :1])
    out = merge_patch(np.zeros_like(frame), np.full((4, 4, 3), 7, np.uint8), PatchWindow(8, 8, 0, 0, 4, 4))
    assert (out[8:, 8:] == 7).all() and out.sum() == 7 * 4 * 3


def test_bad_tiling_and_frames_raise():
    with pytest.raises(PylicError):
        tile_grid(100, 100, 256, 256)
    with pytest.raises(PylicError):
        extract_patch(np.zeros((4, 4, 3), np.float32), 0, 0)


def test_vector_patches_are_part_of_calibration_set():
    cal, vec = photos.calibration_patches(), photos.vector_patches()
    assert len(vec) == 3 and len(cal) == 15
    for i, v in zip(photos.VECTOR_INDICES, vec):
        np.testing.assert_array_equal(cal[i], v)
