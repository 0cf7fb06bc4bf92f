"""Pixel conventions: `unsigned` (p / 255, every older package, unchanged bit for bit) and `centred` (q = p - 128
in, p = q + 128 out: all 256 levels), one definition in `pylic.ps.pixels`, folded exactly into the float model's
first and last layers away from g_a.0's zero padding, recorded in the manifest only when not `unsigned`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pylic.codec import Codec
from pylic.deploy.example import photo_patches
from pylic.deploy.export import build_package
from pylic.deploy.manifest import DeployError, PixelSpec
from pylic.deploy.store import load, save
from pylic.models.synthetic import synthetic_model
from pylic.ps.package import ps_tables
from pylic.ps.pixels import convention_constants, convention_of, input_lut, pixels_out
from pylic.quant import QuantConfig, QuantError
from pylic.quant.calibrate import calibrate
from pylic.quant.pixel_fold import fold_pixels
from pylic.runtime.emulator import EmulatorBackend

pytestmark = pytest.mark.usefixtures("one_torch_thread")
P = np.arange(256)


def test_unsigned_is_the_old_7_bit_map_and_centred_keeps_every_level():
    old = input_lut(7)
    assert list(old[[0, 1, 2, 3, 127, 128, 252, 253, 254, 255]]) == [0, 1, 1, 2, 64, 64, 126, 127, 127, 127]
    assert len(np.unique(old)) == 128 and pixels_out(np.int8(127), 7) == 253
    s, o = convention_constants("centred", 7)
    assert (s, o) == (128, 128)
    np.testing.assert_array_equal(input_lut(7, s, o), P - 128)
    q = np.arange(-128, 128)
    np.testing.assert_array_equal(pixels_out(q, 7, s, o), q + 128)
    assert convention_of(255, 0, 7) == "unsigned" and convention_of(128, 128, 7) == "centred"
    assert convention_of(256, 128, 7) is None and convention_of(128, 0, 7) is None


def test_manifest_keeps_old_pixel_fields_and_validation_refuses_other_maps(tiny_quant, tmp_path):
    assert set(PixelSpec(255, 7, 7).to_dict()) == {"input_scale", "input_position", "output_position"}
    assert PixelSpec(128, 7, 7, input_offset=128).to_dict()["input_offset"] == 128
    pkg = tiny_quant[2]
    import dataclasses

    from pylic.deploy.store import DeployPackage

    bad = dataclasses.replace(pkg.manifest, pixels=PixelSpec(200, 7, 7))
    with pytest.raises(DeployError, match="pixel convention"):
        load(save(DeployPackage.make(bad, dict(pkg.arrays)), tmp_path))


@pytest.fixture(scope="module")
def centred():
    model = synthetic_model(2, N=8, M=16)
    model.update(force=True)
    cfg = QuantConfig(pixels_in="centred", pixels_out="centred")
    return model, cfg, calibrate(model, photo_patches(), cfg)


def test_the_fold_is_exact_away_from_the_padding(centred):
    model, cfg, _ = centred
    folded = fold_pixels(model, cfg, 7)
    p = torch.randint(0, 256, (1, 3, 64, 64)).double()
    with torch.no_grad():
        ref = model.g_a[0].double()(p / 255)
        got = folded.g_a[0].double()((p - 128) / 128)
        torch.testing.assert_close(got[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], rtol=1e-5, atol=1e-5)
        assert (got[..., 0, :] - ref[..., 0, :]).abs().max() > 1e-3  # the DPU pads grey, not black
        h = torch.randn(1, model.cfg.gs[-1], 8, 8).double()
        torch.testing.assert_close(folded.g_s[-1].double()(h) * 128 + 128, model.g_s[-1].double()(h) * 255,
                                   rtol=1e-5, atol=1e-4)
    assert fold_pixels(model, QuantConfig(), 7) is model  # unsigned: no copy, nothing changes


def test_a_centred_package_records_its_convention_and_round_trips(centred, photo, tmp_path):
    model, _, plan = centred
    pkg = load(save(build_package(model, plan), tmp_path))
    px = pkg.manifest.pixels
    assert (px.input_scale, px.input_offset, px.output_scale, px.output_offset) == (128, 128, 128, 128)
    t = ps_tables(pkg)
    np.testing.assert_array_equal(t.input_lut, P - 128)
    assert (t.output_scale, t.output_offset) == (128, 128)
    codec = Codec(EmulatorBackend(pkg))
    image = np.ascontiguousarray(photo[:200, :300])
    data = codec.encode(image)
    assert codec.encode(image) == data
    out = codec.decode(data)
    assert out.shape == image.shape and codec.decode(data).tobytes() == out.tobytes()


def test_centred_pixels_are_ptq_only_and_configs_are_checked(tmp_path):
    from pylic.quant.tasks import run_quantize

    with pytest.raises(QuantError, match="PTQ only"):
        run_quantize(str(tmp_path), model="pylic-hp-q1", mode="qat", pixels_in="centred")
    with pytest.raises(QuantError):
        QuantConfig(pixels_out="signed")
    with pytest.raises(QuantError):
        QuantConfig(pixels_out="centred", output_position=None)


def test_the_board_lanes_follow_a_centred_package(centred, photo, one_torch_thread):
    """The board's PS path reads the convention from the package (PsTables), so the three-lane pipeline writes
    and decodes exactly what the emulator does."""
    from pylic.board.host import host_hardware
    from pylic.board.ps_path import PsPath
    from pylic.board.session import Session

    model, _, plan = centred
    pkg = build_package(model, plan)
    emu = EmulatorBackend(pkg, "centred", threads=1)
    hw, _ = host_hardware(emu, cores=3)
    session = Session(pkg, "centred", hw, PsPath(pkg), False)
    image = np.ascontiguousarray(photo[:200, :300])
    ref = Codec(emu)
    data = ref.encode(image)
    lanes = session.codec("pipelined")
    assert lanes.encode(image) == data
    np.testing.assert_array_equal(lanes.decode(data), ref.decode(data))
