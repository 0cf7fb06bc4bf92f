"""Calibration, the quantization plan, fake quantization (STE) and QAT on a tiny model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pylic.deploy.entropy import index_lut, scale_thresholds
from pylic.deploy.example import photo_patches, tiny_quantized
from pylic.quant import QuantConfig, QuantError, QuantPlan
from pylic.quant.fakequant import fake_quant, simulate, strip
from pylic.quant.qat import qat
from pylic.quant.requant import check_shifts
from pylic.quant.rounding import quantize_activation, quantize_param


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny():
    return tiny_quantized(seed=1)


def test_plan_covers_every_tensor_and_pins_the_prior_path(tiny):
    model, plan, _ = tiny
    assert plan.positions["g_a.in"] == 7 and plan.positions["g_s.6"] == 7
    assert plan.positions["g_a.6"] == plan.positions["h_a.4"] == 0  # the DPU emits integer latents
    assert plan.positions["h_a.in"] == plan.positions["g_s.in"] == 0 and plan.positions["h_s.in"] == 0
    assert set(plan.layers) == {n for t in ("g_a", "h_a", "h_s", "g_s") for n, m in getattr(model, t).named_children()
                                if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d) for n in [f"{t}.{n}"]}
    for lp in plan.layers.values():
        check_shifts(lp.shift_cut, lp.shift_bias)
    assert plan.layers["h_s.4"].relu and not plan.layers["g_a.6"].relu


def test_plan_json_round_trip_and_strictness(tiny, tmp_path):
    _, plan, _ = tiny
    plan.save(tmp_path / "plan.json")
    again = QuantPlan.load(tmp_path / "plan.json")
    assert again.to_dict() == plan.to_dict()
    d = plan.to_dict()
    d["bogus"] = 1
    with pytest.raises(QuantError):
        QuantPlan.from_dict(d)
    d = json.loads(json.dumps(plan.to_dict()))
    d["layers"]["g_a.0"]["fp_w"] += 20  # shift_cut leaves [0, 16]
    with pytest.raises(QuantError):
        QuantPlan.from_dict(d)


def test_calibrated_activations_fit_their_positions(tiny):
    from pylic.quant.calibrate import collect_ranges

    model, plan, _ = tiny
    ranges = collect_ranges(model, photo_patches())
    for name, observed in (("g_a.0", "g_a.0"), ("g_a.1", "g_a.1"), ("g_s.1", "g_s.1"), ("h_s.0", "h_s.1")):
        r, p = ranges[observed], plan.positions[name]  # h_s.0 is measured after its fused ReLU
        assert r * 2.0**p <= 127.5 < r * 2.0 ** (p + 1)


def test_mse_calibration_trades_outliers_for_resolution(tiny):
    from pylic.quant.calibrate import mse_position

    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(0, 1, 10000), [40.0]])  # one outlier sets the min/max position to 1
    start = int(np.floor(np.log2(127 / 40)))
    assert start == 1 and mse_position(v, start) > start
    model, plan, _ = tiny
    from pylic.quant.calibrate import calibrate

    mse = calibrate(model, photo_patches(), QuantConfig(method="mse"))
    assert all(mse.positions[k] >= plan.positions[k] for k in plan.positions)
    assert mse.positions["g_a.6"] == 0 and mse.positions["g_s.6"] == 7  # pins are not searched
    with pytest.raises(QuantError):
        QuantConfig(method="kl")  # type: ignore[arg-type]


def test_single_precision_config():
    assert QuantConfig(precision="single").precision == "single"
    with pytest.raises(QuantError):
        QuantConfig(precision="double")  # type: ignore[arg-type]


def test_fake_quant_matches_the_integer_rules_and_passes_gradients():
    x = torch.tensor([-2.5, -0.5, 0.5, 1.26, 1000.0, -1000.0], dtype=torch.float64) / 8
    x.requires_grad_(True)
    y = fake_quant(x, 3)
    np.testing.assert_array_equal((y * 8).detach().numpy(), quantize_activation(x.detach().numpy(), 3))
    w = fake_quant(x, 3, half_away=True)
    np.testing.assert_array_equal((w * 8).detach().numpy(), quantize_param(x.detach().numpy(), 3))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 1, 1, 0, 0])  # STE inside the range, zero when saturated


def test_simulation_keeps_the_model_interface_and_strip_restores_it(tiny):
    model, plan, _ = tiny
    sim = simulate(model, plan).eval()
    x = torch.from_numpy(photo_patches(64)[:1]).float() / 255
    with torch.no_grad():
        out = sim(x)
        y = sim.g_a(x)
    assert out["x_hat"].shape == x.shape and torch.equal(y, torch.round(y))  # integer latents in eval
    q = out["x_hat"] * 2**7
    assert torch.equal(q, torch.floor(q)) and q.max() <= 127
    plain = strip(sim)
    assert set(plain.state_dict()) == set(model.state_dict())


def test_qat_runs_and_returns_an_exportable_model():
    from pylic.deploy.export import build_package

    model, plan, _ = tiny_quantized(seed=2)
    patches = torch.from_numpy(photo_patches(64)[:2]).float() / 255
    losses = []
    tuned = qat(model, plan, lambda n: patches, steps=2, lmbda=0.01, lr=1e-4, progress=False,
                log=lambda r: losses.append(r["loss"]))
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert any(not torch.equal(a, b) for a, b in zip(tuned.parameters(), model.parameters()))
    build_package(tuned, plan)


def test_single_precision_simulation_quantizes_gdn_parameters():
    """8-bit GDN (the ablation): beta/gamma on an 8-bit grid change the output, and gradients still flow."""
    model, plan, _ = tiny_quantized(seed=2, precision="single")
    mixed = QuantPlan(QuantConfig(precision="mixed"), plan.positions, plan.layers)
    x = torch.from_numpy(photo_patches(64)[:1]).float() / 255
    sim_single, sim_mixed = simulate(model, plan).eval(), simulate(model, mixed).eval()
    a = sim_single.g_a(x)
    with torch.no_grad():
        b = sim_mixed.g_a(x)
    assert not torch.equal(a, b)
    sim_single.g_a[1].inner.beta.grad = None
    a.abs().sum().backward()
    assert sim_single.g_a[1].inner.beta.grad is not None


@pytest.mark.parametrize("position", [0, 2, 4, 7])
def test_integer_scale_index_equals_build_indexes(tiny, position):
    """#{k : q > thr_k} reproduces CompressAI's build_indexes on the dequantized scale, for every int8 q."""
    model, _, _ = tiny
    gc = model.gaussian_conditional
    table = gc.scale_table.numpy()
    thr = scale_thresholds(table, float(gc.lower_bound_scale.bound), position)
    q = torch.arange(-128, 128, dtype=torch.float32)
    expect = gc.build_indexes(q * 2.0**-position).numpy()
    np.testing.assert_array_equal(index_lut(thr), expect)


def test_weight_positions_by_least_error_clip_outliers_for_finer_steps():
    """One outlier weight sets the min/max position; `weights="mse"` moves one step finer (the outlier clips,
    every other weight's error shrinks), and the plan records it."""
    from pylic.quant.calibrate import weight_mse_position
    from pylic.quant.plan import QuantConfig

    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.02, 4000)
    w[0] = 0.3  # min/max position 8 (0.3 * 256 = 77); every other weight would fit position 10
    assert weight_mse_position(w, 8) > 8
    flat = rng.uniform(-0.49, 0.49, 4000)  # no outliers: min/max is already best
    assert weight_mse_position(flat, 8) == 8
    with pytest.raises(QuantError, match="weight positions"):
        QuantConfig(weights="max")
