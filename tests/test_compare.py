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
    assert rep["bd_matrix"]["same"]["ref"] == bd and set(rep["bd_matrix"]) == {"ref", "same"}
    assert rep["bd_matrix"]["ref"]["same"]["bd_rate_percent"] == pytest.approx(0, abs=1e-9)
    with pytest.raises(PylicError):
        compare_curves(images, {"x": folders}, reference="y")
    with pytest.raises(PylicError, match="anchor"):
        compare_curves(images, {"x": folders}, anchors=("webp",))


def test_anchors_join_the_bd_matrix(photo, tiny_package_dir):
    """JPEG coded on the same images is a reference of every curve; a JPEG curve's own points against JPEG
    give a BD-rate of zero, and a curve at 10% less rate per point gives about -10%."""
    from pylic.eval import baselines
    from pylic.eval.compare import bd_matrix

    images = {"a": np.ascontiguousarray(photo[:64, :128])}
    rep = compare_curves(images, {"one": [str(tiny_package_dir)]}, anchors=("jpeg",), echo=lambda *_: None)
    pts = baselines.curve(images, "jpeg")
    assert rep["anchors"]["jpeg"]["points"] == pts and rep["bd_matrix"] == {}  # one point: no BD row
    mid = pts[2:7]
    m = bd_matrix({"same": mid, "cheaper": [(r * 0.9, d) for r, d in mid]}, {"jpeg": pts})
    assert m["same"]["jpeg"]["bd_rate_percent"] == pytest.approx(0, abs=0.1)  # pchip over fewer knots
    assert m["cheaper"]["jpeg"]["bd_rate_percent"] == pytest.approx(-10, abs=0.5)


def test_an_earlier_report_is_reused_for_the_same_images_and_models(tmp_path, photo, tiny_package_dir):
    folders = [str(tiny_package_dir), str(save(tiny_quantized(seed=1)[2], tmp_path / "pkgs"))]
    images = {"a": np.ascontiguousarray(photo[:64, :128])}
    first = compare_curves(images, {"x": folders[:1]}, anchors=("jpeg",), out=tmp_path / "1.json",
                           echo=lambda *_: None)
    earlier = json.loads((tmp_path / "1.json").read_text())
    seen: list = []
    second = compare_curves(images, {"x": folders[:1], "y": folders[1:]}, anchors=("jpeg",), reuse=earlier,
                            echo=seen.append)
    assert seen[0].endswith("reused from the earlier report") and "reused" not in seen[1]
    assert second["results"][folders[0]] == earlier["results"][folders[0]]
    assert second["anchors"]["jpeg"]["points"] == earlier["anchors"]["jpeg"]["points"]
    assert first["results"][folders[0]]["psnr"] == second["results"][folders[0]]["psnr"]
    other = {"b": np.ascontiguousarray(photo[100:164, :128])}  # other images: nothing is reused
    seen.clear()
    compare_curves(other, {"x": folders[:1]}, reuse=earlier, echo=seen.append)
    assert "reused" not in seen[0]


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


def test_each_ref_reports_its_cost_at_720p(tiny_ckpt, tiny_package_dir):
    """The pruning table's columns: the float model's params, MACs and DPU cycles; a package's DPU cycles, which
    equal its float model's when the widths match."""
    from pylic import api
    from pylic.eval.compare import ref_complexity
    from pylic.models.complexity import count_dpu_cycles

    model = api.codec_for_ref(tiny_ckpt).backend.model
    c = ref_complexity(api.codec_for_ref(tiny_ckpt))
    assert c["params"] == sum(p.numel() for p in model.parameters())
    assert c["macs"]["total"] == sum(model.macs(720, 1280).values()) > 0
    assert c["dpu_cycles"]["total"] == sum(count_dpu_cycles(model, 720, 1280).values()) > 0
    pkg = ref_complexity(api.codec_for_ref(str(tiny_package_dir)))
    assert set(pkg) == {"dpu_cycles"} and pkg["dpu_cycles"]["total"] > 0
