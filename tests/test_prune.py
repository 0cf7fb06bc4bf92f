"""Iterative channel pruning: the right channels go, every tensor that holds them shrinks consistently
(checked against the same model with those filters zeroed), and params/MACs really drop."""

import json

import numpy as np
import pytest
import torch

from pylic.codec import Codec
from pylic.errors import ModelError
from pylic.models.complexity import count_params
from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.prune import (MAIN_SITES, PruneConfig, PruneSchedule, keep_count, prunable_sites, prune_once,
                         remove_channels, run_prune, with_widths, zero_channels)
from pylic.prune.evaluate import heldout_loss
from pylic.prune.finetune import finetune_until_recovered
from pylic.runtime import TorchBackend
from pylic.train.data import CropSampler


def _model(N: int = 10, M: int = 16, seed: int = 0) -> ScaleHyperprior:
    """A tiny model whose GDN β/γ and biases are perturbed away from their identity-like initial values,
    so a wrong row/column of γ or a lost bias would show."""
    torch.manual_seed(seed)
    m = ScaleHyperprior(HyperpriorConfig.uniform(N, M))
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith(("gamma", "beta")):
                p.add_(0.05 * torch.rand_like(p))
            elif name.endswith("bias") and not name.startswith("entropy"):
                p.add_(0.1 * torch.randn_like(p))
    m.eval()
    m.update(force=True)
    return m


def test_keep_count_is_a_fraction_of_the_original_width():
    assert [keep_count(64, 0.1, i) for i in range(4)] == [64, 58, 51, 45]  # 30% after three rounds, not 27%
    assert [keep_count(64, 0.1, i, granularity=8) for i in range(4)] == [64, 56, 48, 48]  # nearest multiple
    assert keep_count(3, 0.5, 3) == 1  # a layer never disappears
    with pytest.raises(ModelError):
        keep_count(64, 1.0, 1)


def test_the_lowest_norm_filters_are_removed_from_every_tensor():
    m = _model()
    sd = m.state_dict()
    with torch.no_grad():
        m.g_a[0].weight[[3, 7]] *= 1e-3  # conv: out channels are dim 0
        m.g_s[2].weight[:, 5] *= 1e-3  # deconv: out channels are dim 1
    pruned, removed = prune_once(m, {s.name: 10 for s in MAIN_SITES}, ratio=0.2, iteration=1)
    assert removed["ga0"] == [3, 7] and 5 in removed["gs1"] and len(removed["gs1"]) == 2
    keep = [i for i in range(10) if i not in (3, 7)]
    psd = pruned.state_dict()
    assert torch.equal(psd["g_a.0.weight"], m.g_a[0].weight[keep])
    assert torch.equal(psd["g_a.0.bias"], sd["g_a.0.bias"][keep])
    assert torch.equal(psd["g_a.1.beta"], sd["g_a.1.beta"][keep])
    assert torch.equal(psd["g_a.1.gamma"], sd["g_a.1.gamma"][keep][:, keep])  # rows AND columns
    k1 = [i for i in range(10) if i not in removed["ga1"]]  # g_a.2 also loses its own lowest filters
    assert torch.equal(psd["g_a.2.weight"], sd["g_a.2.weight"][k1][:, keep])  # in channels: dim 1
    k0, ks, k2 = ([i for i in range(10) if i not in removed[n]] for n in ("gs0", "gs1", "gs2"))
    assert torch.equal(psd["g_s.2.weight"], m.g_s[2].weight[k0][:, ks])  # deconv (in, out): in dim 0
    assert torch.equal(psd["g_s.3.gamma"], sd["g_s.3.gamma"][ks][:, ks])
    assert torch.equal(psd["g_s.4.weight"], sd["g_s.4.weight"][ks][:, k2])
    assert pruned.cfg == with_widths(m.cfg, {s.name: 8 for s in MAIN_SITES})


def test_pruned_model_equals_the_model_with_those_filters_zeroed():
    m = _model()
    rng = np.random.default_rng(0)
    drop = {s: sorted(rng.choice(10, size=3, replace=False).tolist()) for s in prunable_sites(include_hyper=True)}
    pruned, ref = remove_channels(m, drop), zero_channels(m, drop)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        y = ref.g_a(x)
        assert torch.allclose(pruned.g_a(x), y, atol=1e-5)
        assert torch.allclose(pruned.g_s(y), ref.g_s(y), atol=1e-5)
        z = ref.h_a(y.abs())
        assert torch.allclose(pruned.h_a(y.abs()), z, atol=1e-5)
        assert torch.allclose(pruned.h_s(z), ref.h_s(z), atol=1e-5)
        a, b = pruned(x), ref(x)
    assert torch.allclose(a["x_hat"], b["x_hat"], atol=1e-5)
    assert torch.allclose(a["likelihoods"]["y"], b["likelihoods"]["y"], atol=1e-5)
    assert not torch.allclose(m.g_a(x), y, atol=1e-3)  # zeroing did change the model: the test can fail


def test_zero_prune_is_the_identity():
    m = _model()
    same, removed = prune_once(m, {s.name: 10 for s in MAIN_SITES}, ratio=0.0, iteration=1)
    assert all(v == [] for v in removed.values())
    a, b = m.state_dict(), same.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_params_and_macs_drop_to_exactly_the_smaller_architecture():
    m = _model(N=20)
    original = {s.name: 20 for s in MAIN_SITES}
    cur, macs = m, [m.macs(128, 128)]
    for it in (1, 2, 3):
        cur, _ = prune_once(cur, original, 0.1, it)
        macs.append(cur.macs(128, 128))
    expected = with_widths(m.cfg, {s.name: 14 for s in MAIN_SITES})  # 20 - 2 per round
    assert cur.cfg == expected
    fresh = ScaleHyperprior(expected)
    assert count_params(cur) == count_params(fresh) < count_params(m)
    assert macs[-1] == fresh.macs(128, 128)
    for part in ("g_a", "g_s"):
        assert macs[0][part] > macs[1][part] > macs[2][part] > macs[3][part]
    assert macs[-1]["h_a"] == macs[0]["h_a"] and macs[-1]["h_s"] == macs[0]["h_s"]  # hyper untouched
    # g_a's middle convs scale with the product of their widths: (14/20)^2 of the original there
    ga = [(3 * 20 * 64 * 64 * 25), (20 * 20 * 32 * 32 * 25), (20 * 20 * 16 * 16 * 25), (20 * 16 * 8 * 8 * 25)]
    assert macs[0]["g_a"] == sum(ga)
    assert macs[-1]["g_a"] == sum(v * f for v, f in zip(ga, (0.7, 0.49, 0.49, 0.7)))


def test_a_pruned_model_still_codes(photo):
    m = _model()
    pruned, _ = prune_once(m, {s.name: 10 for s in prunable_sites(True)}, 0.3, 1, include_hyper=True)
    codec = Codec(TorchBackend(pruned, "pruned"))
    img = np.ascontiguousarray(photo[100:164, 200:264])
    data = codec.encode(img)
    assert codec.encode(img) == data
    out = codec.decode(data)
    assert out.shape == img.shape and out.dtype == np.uint8


def test_finetune_stops_once_the_loss_is_back(folder):
    m = _model()
    sampler = CropSampler(folder, crop=64, seed=0)
    held = CropSampler(folder, crop=64, seed=99).batch(2)
    start = heldout_loss(m, held, 0.01)
    easy = finetune_until_recovered(m, sampler, held, 0.01, target=start + 1.0, max_steps=5, batch=2,
                                    progress=False)
    assert easy.recovered and easy.steps == 0
    hard = finetune_until_recovered(m, sampler, held, 0.01, target=-1.0, max_steps=4, batch=2, lr=1e-3,
                                    check_every=2, progress=False)
    assert not hard.recovered and hard.steps == 4 and [s for s, _ in hard.trajectory] == [0, 2, 4]


def test_run_prune_writes_a_report_and_resumes(tmp_path, folder):
    m = _model(N=10)
    run = tmp_path / "teacher"
    run.mkdir()
    torch.save({"state_dict": m.state_dict()}, run / "checkpoint.pt")
    (run / "config.json").write_text(json.dumps({"lmbda": 0.01}))
    cfg = PruneConfig(out=str(tmp_path / "pruned"), checkpoint=str(run / "checkpoint.pt"), data=str(folder),
                      eval_data=str(folder), eval_limit=1, eval_crop=128, crop=64, heldout=2)
    sched = PruneSchedule(iterations=2, finetune_steps=2, check_every=1, batch=2, macs_hw=(128, 128), granularity=1)
    rep = run_prune(cfg, sched, progress=False)
    assert rep["lmbda"] == 0.01 and [r["iteration"] for r in rep["iterations"]] == [1, 2]
    assert [r["widths"]["ga0"] for r in rep["iterations"]] == [9, 8]
    p = [rep["original"]["params"]] + [r["after_prune"]["params"] for r in rep["iterations"]]
    assert p[0] > p[1] > p[2] and rep["final"]["params_reduction"] > 0 and rep["final"]["macs_reduction"] > 0
    assert rep["final"]["dpu_cycles_reduction"] == 0  # 10 -> 8 channels: still one 16-channel group
    first = rep["iterations"][0]
    assert {"bpp", "psnr", "loss"} <= set(first["before"]["rd"])
    assert first["finetune"]["target"] == first["before"]["heldout"]
    assert json.loads((tmp_path / "pruned" / "report.json").read_text())["iterations"] == json.loads(
        json.dumps(rep["iterations"]))
    sched.iterations = 3  # resume: only the third iteration runs
    rep3 = run_prune(cfg, sched, progress=False)
    assert [r["iteration"] for r in rep3["iterations"]] == [1, 2, 3]
    assert rep3["iterations"][0]["removed"] == rep["iterations"][0]["removed"]
    from pylic.models.registry import load_model

    final = load_model(checkpoint=tmp_path / "pruned" / "checkpoint.pt")
    assert final.cfg.ga == (7, 7, 7) and final.cfg.M == 16
