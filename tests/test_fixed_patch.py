"""Golden patch buffer: it is the codec's tiling itself (not a copy), plus the extract kernel's input LUT."""

from __future__ import annotations

import numpy as np
import pytest

from pylic.errors import PylicError
from pylic.eval import photos
from pylic.fixed import patch_buffer
from pylic.ps import tiling


def test_golden_model_is_the_codec_tiling():
    for name in ("TileGrid", "extract_patch", "merge_patch", "reassemble"):
        assert getattr(patch_buffer, name) is getattr(tiling, name)
    assert not hasattr(patch_buffer, "tile_grid") and not hasattr(patch_buffer, "PatchWindow")


def test_dpu_input_applies_the_lut_to_every_byte(photo):
    grid = tiling.TileGrid(300, 451, 256, 56)
    p = tiling.extract_patch(np.ascontiguousarray(photo[:300, :451]), grid, grid.count - 1)
    np.testing.assert_array_equal(patch_buffer.dpu_input(p), p)
    lut = (np.arange(256) // 2 - 64).astype(np.int8)  # an int8 LUT: two's complement bytes on the bus
    out = patch_buffer.dpu_input(p, lut)
    assert out.dtype == np.uint8 and out.shape == (256, 256, 3)
    np.testing.assert_array_equal(out.view(np.int8), p.astype(np.int16) // 2 - 64)


@pytest.mark.parametrize("lut", [np.arange(255, dtype=np.uint8), np.arange(256, dtype=np.int32)])
def test_bad_luts_raise(lut):
    with pytest.raises(PylicError):
        patch_buffer.dpu_input(np.zeros((4, 4, 3), np.uint8), lut)


def test_vector_patches_are_part_of_calibration_set():
    cal, vec = photos.calibration_patches(), photos.vector_patches()
    assert len(vec) == 3 and len(cal) == 15
    for i, v in zip(photos.VECTOR_INDICES, vec):
        np.testing.assert_array_equal(cal[i], v)
