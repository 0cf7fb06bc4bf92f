"""C simulation of the patch-buffer kernel against the codec's own tiling (`pylic.ps.tiling`), bit for bit: a
real photo tiled to 1280x720, a 500x333 crop and a frame smaller than one patch, at overlap 0 and 56; and a
wrong golden byte, or the removed owned-rectangle rule, makes csim fail."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pylic.errors import ToolError
from pylic.eval.tiling_rules import owned_copy
from pylic.hls import csim
from pylic.hls.kernel_info import KernelInfo
from pylic.hls.patch_codegen import generate_patch_buffer, merge_inputs
from pylic.ps.tiling import TileGrid, extract, tile_to_size

pytestmark = [
    pytest.mark.csim,
    pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed"),
]

SIZES = [(720, 1280), (333, 500), (80, 100)]


@pytest.fixture(scope="module")
def frames(photo):
    img = photo  # 512x512 astronaut: tiled to 1280x720, cropped to 500x333 and to 100x80
    return [tile_to_size(img), np.ascontiguousarray(img[:333, :500]), np.ascontiguousarray(img[100:180, 200:300])]


@pytest.fixture(scope="module", params=[0, 56], ids=lambda o: f"overlap{o}")
def built(request, frames, tmp_path_factory):
    try:
        csim.ap_types_dir()
    except ToolError as exc:  # hls4ml missing
        pytest.skip(str(exc))
    root = tmp_path_factory.mktemp(f"patch{request.param}")
    info = generate_patch_buffer(root, frames, patch=256, overlap=request.param)
    folder = root / info.top
    csim.build(folder, info)
    return request.param, folder, info


def test_csim_is_bit_exact_with_the_codec_tiling(built, frames):
    overlap, folder, info = built
    r = csim.run(folder, info)
    assert r.passed, f"{r.mismatches} mismatches of {r.values}; log {r.log}"
    grids = [TileGrid(h, w, 256, overlap) for h, w in SIZES]
    assert [f.shape[:2] for f in frames] == SIZES
    assert r.vectors == sum(g.count for g in grids) == (20 if overlap == 0 else 35)
    assert r.values == sum(g.count * 256 * 256 * 3 + g.height * g.width * 3 for g in grids)
    assert info.details["acc_bits"] == (8 if overlap == 0 else 20)
    assert info.estimate["dsp"] == (0 if overlap == 0 else 1)  # the merge's 8 x 13-bit multiply
    assert info.registers["acc"] == 0x28 and info.registers["cols"] == 0x64


def test_csim_fails_on_a_wrong_byte_and_on_the_owned_rectangle_rule(built, frames):
    overlap, folder, info = built
    merged = folder / "tb_data" / "merged.bin"
    original = merged.read_bytes()
    corrupt = bytearray(original)
    corrupt[720 * 1280 * 3 - 1] ^= 1  # the 720p frame's last byte: written by the last patch's clipped corner
    grid = TileGrid(720, 1280, 256, overlap)
    inputs = np.stack(merge_inputs([p.transpose(1, 2, 0) for p in extract(frames[0], grid)], seed=0))
    copied = bytearray(original)
    copied[:720 * 1280 * 3] = owned_copy(inputs.transpose(0, 3, 1, 2), grid).tobytes()
    try:
        merged.write_bytes(bytes(corrupt))
        r = csim.run(folder, info)
        assert not r.passed and r.mismatches == 1
        merged.write_bytes(bytes(copied))
        r = csim.run(folder, info)
        if overlap == 0:  # no overlap: every rule copies
            assert r.passed
        else:
            assert not r.passed and r.mismatches > 100_000
    finally:
        merged.write_bytes(original)
    assert csim.run(folder, KernelInfo.load(folder)).passed


def test_csim_applies_an_int8_input_lut_bit_exactly(frames, tmp_path):
    """With a package-style int8 LUT the extracted patch is the DPU's NHWC int8 input, byte for byte."""
    try:
        csim.ap_types_dir()
    except ToolError as exc:
        pytest.skip(str(exc))
    lut = np.clip(np.round(np.arange(256) * 64 / 255) * 2 - 64, -128, 127).astype(np.int8)  # like PixelSpec's map
    frame = frames[1]
    info = generate_patch_buffer(tmp_path, [frame], patch=256, overlap=56, input_lut=lut)
    folder = tmp_path / info.top
    assert info.details["input_lut"] == "the deploy package's input LUT"
    grid = TileGrid(*frame.shape[:2], 256, 56)
    first = np.frombuffer((folder / "tb_data" / "patches.bin").read_bytes()[:256 * 256 * 3], np.int8)
    np.testing.assert_array_equal(first.reshape(256, 256, 3), lut[extract(frame, grid)[0].transpose(1, 2, 0)])
    csim.build(folder, info)
    r = csim.run(folder, info)
    assert r.passed and r.vectors == grid.count == 6, r.log
