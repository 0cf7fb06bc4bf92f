"""compare_curves: every ref coded once, BD metrics of a curve against itself are zero, deltas per point."""

import json

import numpy as np
import pytest

from pylic.deploy import save
from pylic.deploy.example import tiny_quantized
from pylic.errors import PylicError
from pylic.eval.compare import compare_curves, parse_curve

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_parse_curve():
    assert parse_curve("emu = a, b,c") == ("emu", ["a", "b", "c"])
    for bad in ("a", "=a", "a=", "a=,"):
        with pytest.raises(PylicError):
            parse_curve(bad)


def test_curves_against_a_reference(tmp_path, photo, tiny_package_dir):
    folders = [str(tiny_package_dir), str(save(tiny_quantized(seed=1)[2], tmp_path / "pkgs"))]
    images = {"a": np.ascontiguousarray(photo[:64, :128]), "b": np.ascontiguousarray(photo[200:264, 100:164])}
    seen = []
    rep = compare_curves(images, {"ref": folders, "same": folders[::-1], "one": folders[:1]}, out=tmp_path / "c.json",
                         echo=seen.append)
    assert len(seen) == 3  # two refs coded once each, one BD line
    assert json.loads((tmp_path / "c.json").read_text())["reference"] == "ref"
    assert all(r["deterministic"] for r in rep["results"].values())
    bd = rep["curves"]["same"]["bd_vs_reference"]
    assert bd["bd_rate_percent"] == pytest.approx(0, abs=1e-9) and bd["bd_psnr_db"] == pytest.approx(0, abs=1e-9)
    a, b = rep["results"][folders[0]], rep["results"][folders[1]]
    assert rep["curves"]["same"]["delta_per_point"][0]["psnr_db"] == pytest.approx(b["psnr"] - a["psnr"])
    assert "bd_vs_reference" not in rep["curves"]["one"]  # a single point has no BD metrics
    with pytest.raises(PylicError):
        compare_curves(images, {"x": folders}, reference="y")


def test_bd_metrics_needs_rd_curves():
    from pylic.eval.rd import bd_metrics

    curve = [(0.2, 27.0), (0.4, 29.0), (0.6, 30.5)]
    better = [(r * 0.9, d) for r, d in curve]  # same quality at 10% less rate
    bd = bd_metrics(curve, better)
    assert bd["bd_rate_percent"] == pytest.approx(-10.0, abs=0.01) and bd["bd_psnr_db"] > 0
    bad = bd_metrics(curve, [(0.3, 28.0), (0.35, 27.9)])  # two models that are not one curve
    assert np.isnan(bad["bd_rate_percent"]) and "not one RD curve" in bad["note"]


def test_a_ref_is_a_checkpoint_a_package_or_a_name(tiny_ckpt, tiny_package_dir):
    from pylic import api
    from pylic.runtime import EmulatorBackend, TorchBackend

    assert isinstance(api.codec_for_ref(tiny_ckpt).backend, TorchBackend)
    assert isinstance(api.codec_for_ref(str(tiny_package_dir)).backend, EmulatorBackend)
    with pytest.raises(PylicError):
        api.codec_for_ref("no-such-model")
