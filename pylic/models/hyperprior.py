"""Ballé 2018 scale hyperprior with per-layer widths, built from CompressAI layers.

Layer indices match `compressai.models.ScaleHyperprior` so CompressAI checkpoints load unchanged;
per-layer widths let a pruned model (channels physically removed) be represented exactly.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from compressai.entropy_models import EntropyBottleneck, GaussianConditional
from compressai.layers import GDN
from compressai.models.base import CompressionModel, get_scale_table
from compressai.models.utils import conv, deconv

from pylic.errors import ModelError
from pylic.models.config import Activation, HyperpriorConfig  # re-exported: the config is torch-free

__all__ = ["Activation", "HyperpriorConfig", "ScaleHyperprior"]


def _act(kind: Activation, ch: int, inverse: bool) -> nn.Module:
    return GDN(ch, inverse=inverse) if kind == "gdn" else nn.ReLU(inplace=True)


CDF_BUFFERS = ("_quantized_cdf", "_offset", "_cdf_length")  # the entropy coders' table buffers


class ScaleHyperprior(CompressionModel):
    """Analysis g_a, synthesis g_s, hyper transforms h_a/h_s, EntropyBottleneck for z, zero-mean
    GaussianConditional for y."""

    downsampling_factor = 64

    def __init__(self, cfg: HyperpriorConfig):
        super().__init__()
        self.cfg = cfg
        a, s, act = cfg.ga, cfg.gs, cfg.activation
        self.g_a = nn.Sequential(
            conv(3, a[0]), _act(act, a[0], False),
            conv(a[0], a[1]), _act(act, a[1], False),
            conv(a[1], a[2]), _act(act, a[2], False),
            conv(a[2], cfg.M),
        )
        self.g_s = nn.Sequential(
            deconv(cfg.M, s[0]), _act(act, s[0], True),
            deconv(s[0], s[1]), _act(act, s[1], True),
            deconv(s[1], s[2]), _act(act, s[2], True),
            deconv(s[2], 3),
        )
        self.h_a = nn.Sequential(
            conv(cfg.M, cfg.ha[0], stride=1, kernel_size=3), nn.ReLU(inplace=True),
            conv(cfg.ha[0], cfg.ha[1]), nn.ReLU(inplace=True),
            conv(cfg.ha[1], cfg.z),
        )
        self.h_s = nn.Sequential(
            deconv(cfg.z, cfg.hs[0]), nn.ReLU(inplace=True),
            deconv(cfg.hs[0], cfg.hs[1]), nn.ReLU(inplace=True),
            conv(cfg.hs[1], cfg.M, stride=1, kernel_size=3), nn.ReLU(inplace=True),
        )
        self.entropy_bottleneck = EntropyBottleneck(cfg.z)
        self.gaussian_conditional = GaussianConditional(None)

    def forward(self, x: torch.Tensor) -> dict:
        y = self.g_a(x)
        z = self.h_a(torch.abs(y))
        z_hat, z_likelihoods = self.entropy_bottleneck(z)
        scales_hat = self.h_s(z_hat)
        y_hat, y_likelihoods = self.gaussian_conditional(y, scales_hat)
        x_hat = self.g_s(y_hat)
        return {"x_hat": x_hat, "y": y, "likelihoods": {"y": y_likelihoods, "z": z_likelihoods}}

    @torch.no_grad()
    def compress(self, x: torch.Tensor) -> dict:
        """Whole-image coding, CompressAI's way (the reference the tiled codec is measured against)."""
        y = self.g_a(x)
        z = self.h_a(torch.abs(y))
        z_strings = self.entropy_bottleneck.compress(z)
        z_hat = self.entropy_bottleneck.decompress(z_strings, z.size()[-2:])
        indexes = self.gaussian_conditional.build_indexes(self.h_s(z_hat))
        y_strings = self.gaussian_conditional.compress(y, indexes)
        return {"strings": [y_strings, z_strings], "shape": z.size()[-2:]}

    @torch.no_grad()
    def decompress(self, strings: list, shape: torch.Size) -> dict:
        z_hat = self.entropy_bottleneck.decompress(strings[1], shape)
        indexes = self.gaussian_conditional.build_indexes(self.h_s(z_hat))
        y_hat = self.gaussian_conditional.decompress(strings[0], indexes, z_hat.dtype)
        return {"x_hat": self.g_s(y_hat).clamp_(0, 1)}

    def update(self, scale_table=None, force: bool = False, update_quantiles: bool = False) -> bool:
        """Build the CDF tables the rANS coder needs (CompressAI's 64-level scale table by default)."""
        if scale_table is None:
            scale_table = get_scale_table()
        return super().update(scale_table=scale_table, force=force, update_quantiles=update_quantiles)

    def load_state_dict(self, state_dict, strict: bool = True):  # type: ignore[override]
        """CompressAI's load, after giving the entropy-coder tables the incoming shapes: `update()` rebuilds
        them as a model trains, and CompressAI resizes only empty ones, so a model that already holds tables
        (e.g. from `--init` weights) could not load a later checkpoint of itself."""
        own = dict(self.named_buffers())
        for key, value in state_dict.items():
            if key.rsplit(".", 1)[-1] in CDF_BUFFERS and key in own and own[key].shape != value.shape:
                own[key].resize_(value.shape)
        return super().load_state_dict(state_dict, strict=strict)

    @classmethod
    def from_state_dict(cls, state_dict: dict, activation: Activation | None = None) -> "ScaleHyperprior":
        """Infer every width from the weight shapes (works for CompressAI and pruned checkpoints) and, unless
        given, the nonlinearity from the GDN parameters (a ReLU model has none)."""
        if activation is None:
            activation = "gdn" if "g_a.1.beta" in state_dict else "relu"
        try:
            sd = state_dict

            def out(k: str) -> int:  # conv weight is (out, in, k, k); deconv weight is (in, out, k, k)
                return int(sd[k].shape[0])

            def dout(k: str) -> int:
                return int(sd[k].shape[1])

            cfg = HyperpriorConfig(
                M=out("g_a.6.weight"),
                ga=(out("g_a.0.weight"), out("g_a.2.weight"), out("g_a.4.weight")),
                gs=(dout("g_s.0.weight"), dout("g_s.2.weight"), dout("g_s.4.weight")),
                ha=(out("h_a.0.weight"), out("h_a.2.weight")),
                hs=(dout("h_s.0.weight"), dout("h_s.2.weight")),
                z=out("h_a.4.weight"),
                activation=activation,
            )
        except KeyError as exc:
            raise ModelError(f"not a scale-hyperprior state dict: missing {exc}") from None
        model = cls(cfg)
        try:
            model.load_state_dict(state_dict)
        except RuntimeError as exc:
            raise ModelError(f"state dict does not fit the inferred model: {exc}") from None
        return model

    def macs(self, height: int, width: int) -> dict[str, int]:
        """Multiply-accumulates per transform for one HxW input (conv/deconv only)."""
        from pylic.models.complexity import count_macs

        return count_macs(self, height, width)
