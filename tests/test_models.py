import pytest
import torch
from compressai.models import ScaleHyperprior as CompressAIScaleHyperprior

from pylic.errors import ModelError
from pylic.models import HyperpriorConfig, ScaleHyperprior, get_spec, load_model
from pylic.models.complexity import count_params


def test_compressai_checkpoints_load_unchanged(tmp_path):
    torch.manual_seed(0)
    upstream = CompressAIScaleHyperprior(N=16, M=24)
    path = tmp_path / "upstream.pt"
    torch.save(upstream.state_dict(), path)
    model = load_model(checkpoint=path)
    assert model.cfg == HyperpriorConfig.uniform(16, 24)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model.g_a(x), upstream.g_a(x), rtol=0, atol=0)
        torch.testing.assert_close(model.h_s(model.h_a(model.g_a(x))), upstream.h_s(upstream.h_a(upstream.g_a(x))))


def test_per_layer_widths_roundtrip_through_state_dict():
    cfg = HyperpriorConfig(M=24, ga=(7, 9, 11), gs=(10, 8, 6), ha=(5, 6), hs=(6, 7), z=4)
    model = ScaleHyperprior(cfg)
    again = ScaleHyperprior.from_state_dict(model.state_dict())
    assert again.cfg == cfg
    out = again(torch.rand(2, 3, 64, 64))
    assert out["x_hat"].shape == (2, 3, 64, 64) and out["y"].shape == (2, 24, 4, 4)


def test_macs_match_closed_form():
    for n, m in [(32, 64), (64, 96)]:
        macs = ScaleHyperprior(HyperpriorConfig.uniform(n, m)).macs(256, 256)
        main = 25 * (128**2 * 3 * n + 64**2 * n * n + 32**2 * n * n + 16**2 * n * m)
        assert macs["g_a"] == main and macs["g_s"] == main  # deconv: input pixels x out x k^2
        assert macs["h_a"] == 16**2 * m * n * 9 + 8**2 * n * n * 25 + 4**2 * n * n * 25
    assert count_params(ScaleHyperprior(HyperpriorConfig.uniform(128, 192))) == 5075843  # CompressAI q1-5


def test_relu_variant_has_no_gdn():
    model = ScaleHyperprior(HyperpriorConfig.uniform(8, 16, "relu"))
    assert not any("GDN" in type(m).__name__ for m in model.modules())


def test_registry_errors():
    with pytest.raises(ModelError, match="unknown model"):
        get_spec("no-such-model")
    with pytest.raises(ModelError, match="unknown model config keys"):
        HyperpriorConfig.from_dict({"M": 1, "bogus": 2})
    with pytest.raises(ModelError, match="not found"):
        load_model(checkpoint="/nonexistent/weights.pt")


def test_corrupt_weights_are_a_model_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ModelError, match="cannot read weights"):
        load_model(checkpoint=bad)


def test_a_relu_checkpoint_loads_by_path(tmp_path):
    """`compare`/`evaluate` name checkpoints by path: a ReLU student's file has no GDN parameters and must load
    as ReLU (it failed with missing GDN keys before); a GDN file still loads as GDN."""
    from pylic.models.registry import load_model

    for act in ("relu", "gdn"):
        torch.manual_seed(0)
        m = ScaleHyperprior(HyperpriorConfig.uniform(8, 16, activation=act))
        torch.save(m.state_dict(), tmp_path / f"{act}.pt")
        loaded = load_model(checkpoint=tmp_path / f"{act}.pt")
        assert loaded.cfg.activation == act
        assert torch.equal(loaded.g_s[0].weight, m.g_s[0].weight)
