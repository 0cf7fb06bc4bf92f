"""Fake quantization for QAT: the float model with every DPU tensor rounded and saturated as the hardware does,
gradients passed straight through (STE; zero outside the saturation range).

`simulate(model, plan)` returns a deep copy whose conv/deconv layers and GDNs are wrapped; it keeps the
ScaleHyperprior forward (so `rd_loss` applies unchanged). In training the latents y and z are only saturated,
not rounded: the entropy models' additive noise already stands for their rounding. `strip(sim)` gives the plain
float model back (for export with the same plan).
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from compressai.layers import GDN

from pylic.fixed.formats import max_frac_for
from pylic.models.hyperprior import ScaleHyperprior
from pylic.quant.graph import model_ops
from pylic.quant.plan import QuantPlan


class _HalfUp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.floor(x + 0.5)

    @staticmethod
    def backward(ctx, g):
        return g


class _HalfAway(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)

    @staticmethod
    def backward(ctx, g):
        return g


def fake_quant(x: torch.Tensor, position: int, half_away: bool = False, lo: int = -128, hi: int = 127
               ) -> torch.Tensor:
    """x -> sat(round(x * 2**p)) * 2**-p with a straight-through gradient inside [lo, hi]."""
    s = float(2.0 ** position)
    q = (_HalfAway if half_away else _HalfUp).apply(x * s)
    return torch.clamp(q, lo, hi) / s


def saturate(x: torch.Tensor, position: int, lo: int = -128, hi: int = 127) -> torch.Tensor:
    s = float(2.0 ** -position)
    return torch.clamp(x, lo * s, hi * s)


class QuantConv(nn.Module):
    """A conv/deconv with int8 weights/bias (half away from zero) and an int8 output (half up).

    input_mode: "none" (already quantized upstream), "quant" (pixels, |y|), "clamp" (noisy latents);
    latent_out: output is y or z (rounded only in eval mode, saturated always)."""

    def __init__(self, inner: nn.Module, fp_w: int, fp_b: int, fp_in: int, fp_out: int,
                 input_mode: str = "none", input_half_away: bool = False, latent_out: bool = False):
        super().__init__()
        self.inner = inner
        self.fp_w, self.fp_b, self.fp_in, self.fp_out = fp_w, fp_b, fp_in, fp_out
        self.input_mode, self.input_half_away, self.latent_out = input_mode, input_half_away, latent_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_mode == "quant":
            x = fake_quant(x, self.fp_in, half_away=self.input_half_away)
        elif self.input_mode == "clamp":
            x = saturate(x, self.fp_in)
        m = self.inner
        w = fake_quant(m.weight, self.fp_w, half_away=True)
        b = fake_quant(m.bias, self.fp_b, half_away=True)
        if isinstance(m, nn.ConvTranspose2d):
            y = F.conv_transpose2d(x, w, b, m.stride, m.padding, m.output_padding)
        else:
            y = F.conv2d(x, w, b, m.stride, m.padding)
        if self.latent_out and self.training:
            return saturate(y, self.fp_out)
        return fake_quant(y, self.fp_out)


class QuantGDN(nn.Module):
    """GDN/iGDN with an int8 output. mixed: float inside (the 32-bit golden ops are close to it);
    single: beta and gamma fake-quantized to 8 unsigned bits at the positions `quantize_gdn` would pick."""

    def __init__(self, inner: GDN, fp_out: int, single: bool):
        super().__init__()
        self.inner, self.fp_out, self.single = inner, fp_out, single

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.single:
            return fake_quant(self.inner(x), self.fp_out)
        g = self.inner
        beta = g.beta_reparam(g.beta)
        gamma = g.gamma_reparam(g.gamma)
        gf = max_frac_for(max(float(gamma.detach().max()), 1e-12), 8, signed=False)
        bf = max_frac_for(max(float(beta.detach().max()), 1e-12), 8, signed=False)
        gamma_q = torch.clamp(_HalfUp.apply(gamma * 2.0 ** gf), 0, 255) / 2.0 ** gf
        beta_q = torch.clamp(_HalfUp.apply(beta * 2.0 ** bf), 1, 255) / 2.0 ** bf
        norm = F.conv2d(x * x, gamma_q[:, :, None, None], beta_q)
        y = x * torch.sqrt(norm) if g.inverse else x * torch.rsqrt(norm)
        return fake_quant(y, self.fp_out)


def simulate(model: ScaleHyperprior, plan: QuantPlan) -> ScaleHyperprior:
    """A fake-quantized deep copy of `model` following `plan`."""
    sim = copy.deepcopy(model)
    graph = model_ops(sim)
    pos = plan.positions
    first_input = {"g_a": ("quant", True), "h_a": ("quant", False), "h_s": ("clamp", False), "g_s": ("clamp", False)}
    for t, ops in graph.items():
        seq = getattr(sim, t)
        first = True
        for op in ops:
            if op.kind in ("conv", "deconv"):
                lp = plan.layers[op.name]
                mode, away = first_input[t] if first else ("none", False)
                latent = op.name == ops[-1].name and t in ("g_a", "h_a")
                seq[int(op.name.split(".")[1])] = QuantConv(op.module, lp.fp_w, lp.fp_b, lp.fp_in, lp.fp_out,
                                                            mode, away, latent)
                first = False
            elif op.kind in ("gdn", "igdn"):
                seq[int(op.name.split(".")[1])] = QuantGDN(op.module, pos[op.name], plan.config.precision == "single")
    return sim


def strip(sim: ScaleHyperprior) -> ScaleHyperprior:
    """The float model inside a simulation (weights shared by copy)."""
    model = copy.deepcopy(sim)
    for t in ("g_a", "h_a", "h_s", "g_s"):
        seq = getattr(model, t)
        for i, m in enumerate(seq):
            if isinstance(m, (QuantConv, QuantGDN)):
                seq[i] = m.inner
    return model
