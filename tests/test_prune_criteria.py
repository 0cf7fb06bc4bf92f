"""DPU-aware pruning: 16-aligned cuts lower the B4096's cycles (22 of 32 channels does not), and the criteria
rank channels as they say (activation: mean |GDN output| x next-layer weight norm, hand-computed here)."""

import pytest
import torch

from pylic.errors import ModelError
from pylic.models.complexity import count_dpu_cycles
from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.prune import MAIN_SITES, keep_count, prune_once
from pylic.prune.criteria import channel_scores, consumer_norms, filter_norms, lowest

GA0 = MAIN_SITES[0]


def _model(N: int, M: int = 32) -> ScaleHyperprior:
    torch.manual_seed(0)
    m = ScaleHyperprior(HyperpriorConfig.uniform(N, M)).eval()
    m.update(force=True)
    return m


def test_granularity_keeps_the_nearest_multiple():
    assert [keep_count(64, 0.1, i, granularity=16) for i in range(4)] == [64, 64, 48, 48]
    assert keep_count(32, 0.1, 3, granularity=16) == 16  # 22 is nearer 16 than 32
    assert keep_count(10, 0.1, 1, granularity=16) == 10  # never wider than the layer
    assert keep_count(64, 0.25, 1, granularity=16) == 48
    with pytest.raises(ModelError):
        keep_count(64, 0.1, 1, granularity=0)


def test_dpu_cycles_fall_only_for_16_aligned_cuts():
    # g_a of one 256x256 patch, M=32; per layer ceil8(H_out)*W_out*ceil16(C_out)*(2*25*ceil16(C_in)+1)/4096:
    # N=22 or 32: 128*801 + 32*1601 + 8*1601 + 2*1601 = 169,770;  N=16: 64*801 + 16*801 + 4*801 + 2*801 = 68,886
    c32, c22, c16 = (count_dpu_cycles(_model(n), 256, 256) for n in (32, 22, 16))
    assert c32["g_a"] == c22["g_a"] == 169_770 and c16["g_a"] == 68_886
    assert c32 == c22 and all(c16[t] < c32[t] for t in ("g_a", "g_s"))
    # while MACs do fall at 22: 128^2*22*3*25 + (64^2 + 32^2)*22*22*25 + 16^2*32*22*25
    assert _model(22).macs(256, 256)["g_a"] == 93_491_200 < _model(32).macs(256, 256)["g_a"] == 176_947_200


def test_a_16_aligned_prune_lowers_dpu_cycles_and_an_unaligned_one_does_not():
    m = _model(32)
    original = {s.name: 32 for s in MAIN_SITES}
    p22, _ = prune_once(m, original, 0.3, 1, granularity=1)
    p16, _ = prune_once(m, original, 0.3, 1, granularity=16)
    assert p22.cfg.ga == (22, 22, 22) and p16.cfg.ga == (16, 16, 16)
    base = count_dpu_cycles(m, 256, 256)
    assert count_dpu_cycles(p22, 256, 256) == base
    assert sum(count_dpu_cycles(p16, 256, 256).values()) < sum(base.values())


def test_activation_score_is_mean_abs_gdn_output_times_consumer_norm():
    m = _model(8, 16)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        m.g_a[2].weight[:, 5] = 0.0  # channel 5 of ga0 feeds nothing: worthless whatever its filter
        m.g_a[0].weight[5] *= 10.0  # ... and it has the largest filter, so L2 keeps it
        act = m.g_a[1](m.g_a[0](x)).abs().mean(dim=(0, 2, 3))
    scores = channel_scores(m, MAIN_SITES, "activation", x)
    want = act.double() * torch.linalg.vector_norm(m.g_a[2].weight.detach(), dim=(0, 2, 3)).double()
    torch.testing.assert_close(scores["ga0"], want)
    assert float(consumer_norms(m, GA0)[5]) == 0.0
    assert 5 in lowest(scores["ga0"], 7) and 5 not in lowest(filter_norms(m, GA0), 7)
    # a deconv site (g_s): consumer weights are (in, out, k, k)
    gs0 = MAIN_SITES[3]
    assert consumer_norms(m, gs0).shape == (8,) and scores["gs0"].shape == (8,)


def test_random_is_seeded_and_unknown_criteria_are_refused():
    m = _model(16)
    a, b, c = (channel_scores(m, MAIN_SITES, "random", seed=s)["ga0"] for s in (1, 1, 2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ModelError, match="criterion"):
        channel_scores(m, MAIN_SITES, "entropy")
    with pytest.raises(ModelError, match="calibration"):
        channel_scores(m, MAIN_SITES, "activation")


def test_compare_criteria_reports_each_cut(tmp_path, folder):
    import json

    from pylic.prune.compare import CriteriaConfig, compare_criteria, criteria_table

    m = _model(16, 16)
    torch.save({"state_dict": m.state_dict()}, tmp_path / "m.pt")
    (tmp_path / "config.json").write_text(json.dumps({"lmbda": 0.01}))
    cfg = CriteriaConfig(model=None, checkpoint=str(tmp_path / "m.pt"), ratio=0.5, granularity=8, random_seeds=2,
                         eval_data=str(folder), eval_limit=1, eval_crop=128, calib_data=str(folder), calib=2,
                         calib_crop=64, out=str(tmp_path / "c.json"))
    rep = compare_criteria(cfg, progress=False)
    assert [r["criterion"] for r in rep["rows"]] == ["none", "l2", "random", "random", "activation"]
    assert rep["rows"][0]["widths"]["ga0"] == 16 and all(r["widths"]["ga0"] == 8 for r in rep["rows"][1:])
    assert all(r["dpu_cycles"]["total"] == rep["rows"][0]["dpu_cycles"]["total"] for r in rep["rows"])  # 16 -> 8
    assert all(r["macs"]["total"] < rep["rows"][0]["macs"]["total"] for r in rep["rows"][1:])
    assert json.loads((tmp_path / "c.json").read_text())["rows"][4]["rd"] == rep["rows"][4]["rd"]
    table = criteria_table(rep)
    assert table.count("\n| ") == 6 and "random, mean of 2 seeds" in table  # separator + 5 cuts
