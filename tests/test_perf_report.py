"""`invoke perf` / `invoke plan` / paper reproduction: real numbers from the model, checked by arithmetic."""

from __future__ import annotations

import json

import pytest

from pylic.errors import PylicError
from pylic.perf import paper
from pylic.perf.layers import PAPER_CONFIGS
from pylic.perf.model import model_frame, tiling_cost
from pylic.perf.platform import platform_for
from pylic.perf.report import parse_size, perf_report, plan

ZCU102 = platform_for("zcu102")


def test_tiling_protocol_cost():
    t = tiling_cost(720, 1280, 56)
    assert (t["rows"], t["cols"], t["patches"]) == (4, 7, 28)  # the paper's 28 patches
    assert t["processed_px"] == 28 * 256 * 256
    assert t["pixel_overhead"] == pytest.approx(28 * 65536 / 921600)
    assert tiling_cost(720, 1280, 0)["patches"] == 15


def test_paper_formula_needs_1ghz():
    # Table V's printed predictions come out of eq. 7 with f = 1 GHz, not 300 MHz
    assert paper.paper_fps(220.2, 1e9) == pytest.approx(44.6, abs=0.05)
    assert paper.paper_fps(153.0, 1e9) == pytest.approx(64.1, abs=0.3)
    assert paper.paper_fps(paper.TEXT_GOP_192, 1e9) == pytest.approx(18.6, abs=0.05)
    assert paper.paper_fps(220.2, 300e6) == pytest.approx(44.6 * 0.3, rel=0.01)


def test_student160_peak_bound_below_observed():
    gop = paper.frame_gop("Student-160")
    assert gop["g_a"] == pytest.approx(106.9, abs=0.05)  # Table II's 106.1
    bound = ZCU102.peak_ops_per_s / (gop["g_a"] * 1e9)
    assert bound < 43.1  # the observed FPS is above the DPUs' peak


def test_model_frame_paper_config_properties():
    r = model_frame(PAPER_CONFIGS["Student-160"].ops(), ZCU102, 720, 1280, 56)
    for side in ("encode", "decode"):
        s = r[side]
        assert s["fps_pipelined"] >= s["fps_sequential"]
        assert s["pipelined_s"] >= s["bottleneck_bound_s"] - 1e-12
        # dropping PS work (and then GDN work) can only speed the frame up
        assert s["dpu_only"]["fps_pipelined"] >= s["accelerator_only"]["fps_pipelined"] >= s["fps_pipelined"]
    # DPU-only pipelined time is at least the total DPU cycles of 28 patches over 3 cores
    cycles = sum(t["cycles"] for k, t in r["transforms_per_patch"].items() if k != "g_s")
    assert 1 / r["encode"]["dpu_only"]["fps_pipelined"] >= 28 * cycles / 3 / 300e6 * (1 - 1e-9)
    assert r["gdn_budget"]["dsp_needed"] > ZCU102.dsp_left  # six GDN/iGDN kernels at N=160 do not fit


def test_perf_report_on_shipped_package(tmp_path):
    r = perf_report(package="pylic-student-q2-int8", out=tmp_path, echo=lambda s: None)
    assert (tmp_path / "layers.png").stat().st_size > 10_000 and (tmp_path / "fps_vs_n.png").is_file()
    saved = json.loads((tmp_path / "perf.json").read_text())
    assert saved["encode"]["fps_pipelined"] == pytest.approx(r["encode"]["fps_pipelined"])
    assert [l["name"] for l in saved["layers"]][:2] == ["g_a.0", "g_a.2"]
    assert r["gdn_budget"]["dsp_fits"]


def test_plan_monotone_in_width(tmp_path):
    res = plan(40, out=tmp_path / "plan.json", echo=lambda s: None)
    fps = [r["encode_fps_dpu"] for r in res["rows"]]
    assert all(b <= a for a, b in zip(fps, fps[1:]))
    n = res["widest_meeting"]["dpu"]
    assert n is not None and all(r["margin_dpu"] >= 0 for r in res["rows"] if r["N"] <= n)


def test_bad_inputs():
    with pytest.raises(PylicError):
        parse_size("720p")
    with pytest.raises(PylicError):
        platform_for("zcu999")
    with pytest.raises(PylicError):
        perf_report(model="x", spec="N=1,M=1", echo=lambda s: None)


def test_layer_overhead_slows_the_dpu(tmp_path):
    base = plan(40, step=64, out=None, echo=lambda s: None)["rows"]
    slow = plan(40, step=64, out=None, layer_overhead=100_000, echo=lambda s: None)["rows"]
    assert all(s["encode_fps_dpu"] < b["encode_fps_dpu"] for s, b in zip(slow, base))


def test_ps_costs_from_a_bench_report(tmp_path):
    from pylic.perf.ps import costs_from_bench, ps_stage_seconds

    sym = {"y_encode": 1e-6, "y_decode": 2e-6, "z_encode": 1e-6, "z_decode": 1e-6}
    (tmp_path / "b.json").write_text(json.dumps({"perf_inputs": {"entropy": {"s_per_symbol": sym},
                                                                 "s_per_value": 0.0}}))
    costs = costs_from_bench(str(tmp_path / "b.json"), a53_factor=2.0)
    # y_encode of one 256^2 patch with M = 128: 128 x 16 x 16 symbols x 1 us x 2
    assert ps_stage_seconds("y_encode", 256, 128, 64, costs) == pytest.approx(128 * 256 * 1e-6 * 2)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(PylicError):
        costs_from_bench(str(tmp_path / "bad.json"))
