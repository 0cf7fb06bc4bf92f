"""The σ (h_s output) choices: a pinned σ position, and a scale table an int8 σ reaches entry by entry. Both
change only the rate: the decoded pixels are the same, and the package still decodes exactly as it encoded."""

from __future__ import annotations

import numpy as np
import pytest

from pylic.codec import Codec
from pylic.deploy.entropy import index_lut, matched_scale_table, scale_thresholds
from pylic.deploy.example import photo_patches
from pylic.deploy.export import build_package
from pylic.deploy.manifest import DeployError
from pylic.deploy.store import load, save
from pylic.models.synthetic import synthetic_model
from pylic.quant import QuantConfig, QuantError, QuantPlan
from pylic.quant.calibrate import calibrate
from pylic.quant.variants import parse_variant, scale_index_reach
from pylic.runtime.emulator import EmulatorBackend

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def model_and_patches():
    model = synthetic_model(1, N=8, M=16)
    model.update(force=True)
    return model, photo_patches()


@pytest.mark.parametrize("position", [0, 1, 2, 3, 4, 5])
def test_matched_table_is_reached_entry_by_entry(position):
    t = matched_scale_table(0.11, position)
    assert t.dtype == np.float32 and t.size == 64 and (np.diff(t) > 0).all() and t[0] == np.float32(0.11)
    q = t[1:-1].astype(np.float64) * 2.0**position - 0.5
    assert np.array_equal(q, np.round(q)) and t[-1] * 2.0**position == 127  # upper edges of int8 σ steps
    assert len(np.unique(index_lut(scale_thresholds(t, 0.11, position)))) == 64
    # CompressAI's table at the same position: about half its entries are never selected
    from compressai.models.base import get_scale_table

    assert len(np.unique(index_lut(scale_thresholds(get_scale_table().numpy(), 0.11, position)))) <= 33


def test_matched_table_refuses_a_position_with_no_sigma_above_the_bound():
    assert matched_scale_table(0.11, 7).size == 64  # 0.11 * 128 = 14.08: q = 14..127
    with pytest.raises(DeployError):
        matched_scale_table(0.11, 11)  # 0.11 * 2048 > 127


def test_sigma_position_is_pinned_and_recorded(model_and_patches):
    model, patches = model_and_patches
    base = calibrate(model, patches)
    plan = calibrate(model, patches, QuantConfig(sigma_position=base.positions["h_s.4"] + 2))
    assert plan.positions["h_s.4"] == plan.positions["h_s.5"] == base.positions["h_s.4"] + 2
    assert {k: v for k, v in plan.positions.items() if not k.startswith("h_s.")} == \
        {k: v for k, v in base.positions.items() if not k.startswith("h_s.")}
    pkg = build_package(model, plan)
    assert pkg.manifest.entropy.sigma_position == plan.positions["h_s.4"]
    assert QuantPlan.from_dict(plan.to_dict()).config.sigma_position == plan.config.sigma_position


def test_old_plans_without_the_new_fields_load(model_and_patches):
    d = calibrate(*model_and_patches).to_dict()
    for k in ("sigma_position", "sigma_table"):
        del d["config"][k]
    cfg = QuantPlan.from_dict(d).config
    assert cfg.sigma_position is None and cfg.sigma_table == "model"
    with pytest.raises(QuantError):
        QuantConfig(sigma_table="log")


def test_matched_table_changes_the_rate_not_the_pixels(model_and_patches, photo, tmp_path):
    model, patches = model_and_patches
    plain = build_package(model, calibrate(model, patches))
    matched = build_package(model, calibrate(model, patches, QuantConfig(sigma_table="matched")))
    r_m, r_p = scale_index_reach(matched), scale_index_reach(plain)
    assert r_m["reachable"] == r_m["levels"] and r_p["reachable"] < r_p["levels"] == 64
    again = load(save(matched, tmp_path))  # validation: thresholds follow from the stored table
    np.testing.assert_array_equal(again.arrays["gc.scale_table"], matched.arrays["gc.scale_table"])
    image = np.ascontiguousarray(photo[:256, :320])
    a, b = Codec(EmulatorBackend(plain)), Codec(EmulatorBackend(again))
    data_a, data_b = a.encode(image), b.encode(image)
    assert data_a != data_b and b.encode(image) == data_b
    np.testing.assert_array_equal(a.decode(data_a), b.decode(data_b))


def test_parse_variant():
    assert parse_variant("s3m:sigma_position=3,sigma_table=matched") == (
        "s3m", {"sigma_position": 3, "sigma_table": "matched"})
    assert parse_variant("base:") == ("base", {})
    assert parse_variant("cal:sigma_position=none") == ("cal", {"sigma_position": None})
    with pytest.raises(Exception, match="not a QuantConfig field"):
        parse_variant("x:bogus=1")


def test_rate_calibration_picks_the_position_with_the_fewest_bits(model_and_patches):
    from pylic.quant.sigma import y_bits_by_position

    model, patches = model_and_patches
    start = calibrate(model, patches).positions["h_s.4"]
    plan = calibrate(model, patches, QuantConfig(sigma_calibration="rate"))
    chosen = plan.positions["h_s.4"]
    bits = y_bits_by_position(model, patches, range(start, start + 5))
    assert start <= chosen < start + 5 and bits[chosen] == min(bits.values())
    assert plan.config.sigma_position is None and plan.config.sigma_calibration == "rate"
    assert any("by rate" in n for n in plan.notes)


def test_compare_variants_changes_only_what_a_variant_says(tmp_path, photo):
    from PIL import Image

    from pylic.quant.variants import compare_variants, variants_table

    for i in range(2):
        Image.fromarray(photo[i * 200: i * 200 + 256, :256]).save(tmp_path / f"{i}.png")
    images = {"crop": np.ascontiguousarray(photo[256:512, 256:512])}
    rep = compare_variants("pylic-student-q2", {"base": {}, "s5m": {"sigma_position": 5, "sigma_table": "matched"},
                                                "out": {"pixels_out": "centred"}},
                           images, data=tmp_path, calib=2, out=tmp_path / "v.json", progress=False)
    base, s5m, out = rep["rows"]
    assert s5m["scale_index"]["sigma_position"] == 5 and s5m["scale_index"]["reachable"] == 64
    assert s5m["psnr"] == base["psnr"] and s5m["bpp"] != base["bpp"]  # σ moves only the rate
    assert out["bpp"] == base["bpp"] and out["config"]["pixels_out"] == "centred"  # output pixels only the PSNR
    assert "| s5m | 5 | 64 of 64 |" in variants_table(rep)
