"""What the fixed-point GDN costs in rate and distortion: the float model with only its GDN/iGDN layers
replaced by the golden model (int8 in at the calibrated position, int8 out, dequantized back).

Convolutions stay float. Two references separate the two costs: the float model itself, and the float GDN
between the same int8 quantizers (the int8 interface alone); the golden rows minus the latter are the
internal approximation. bpp is the model's own likelihood estimate (eval mode: rounded latents)."""

from __future__ import annotations

import copy

import numpy as np
import torch

from pylic.eval import gdn_activations as act
from pylic.eval.photos import calibration_patches
from pylic.fixed.gdn_golden import GdnKernel
from pylic.fixed.gdn_params import GdnFormat, GdnLayerParams


class GoldenGdn(torch.nn.Module):
    """Drop-in for a CompressAI GDN that runs the bit-exact golden model (NCHW float in and out)."""

    def __init__(self, params: GdnLayerParams):
        super().__init__()
        self.params = params
        self.kernel = GdnKernel(params)  # bit-exact with gdn_fixed, tables built once

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.params
        x_q = p.in_format.quantize(x.permute(0, 2, 3, 1).detach().cpu().numpy()).astype(np.int8)
        y = self.kernel(x_q.reshape(-1, p.channels)).reshape(x_q.shape).astype(np.float32)
        y *= np.float32(2.0**-p.out_frac)
        return torch.from_numpy(y).permute(0, 3, 1, 2).to(x.dtype)


class Int8FloatGdn(torch.nn.Module):
    """The exact float GDN between the same int8 quantizers: the best any int8-in/int8-out kernel can do."""

    def __init__(self, gdn: torch.nn.Module, params: GdnLayerParams):
        super().__init__()
        self.gdn, self.params = gdn, params

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.params
        x_q = torch.from_numpy(p.in_format.quantize(x.detach().numpy()).astype(np.float32) * 2.0**-p.in_frac)
        y = self.gdn(x_q.to(x.dtype)).detach().numpy()
        return torch.from_numpy(p.out_format.quantize(y).astype(np.float32) * np.float32(2.0**-p.out_frac))


def with_golden_gdn(model, fmt: GdnFormat, prepared=None, ideal: bool = False):
    """A copy of `model` whose GDN layers are `GoldenGdn` (or `Int8FloatGdn` if `ideal`) at calibrated
    positions."""
    params, _ = prepared if prepared is not None else act.layer_params(model, fmt)
    clone = copy.deepcopy(model)
    for name, p in params.items():
        seq, idx = name.split(".")
        layers = getattr(clone, seq)
        layers[int(idx)] = Int8FloatGdn(layers[int(idx)], p) if ideal else GoldenGdn(p)
    return clone.eval()


def _rd(model, images: list[np.ndarray]) -> tuple[float, float]:
    """(mean PSNR dB, mean estimated bpp) with the model's eval-mode forward (rounded latents)."""
    psnr, bpp = [], []
    with torch.no_grad():
        for img in images:
            x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float() / 255.0
            out = model(x)
            mse = float(((out["x_hat"].clamp(0, 1) - x) ** 2).mean())
            psnr.append(10 * np.log10(1.0 / mse))
            bits = sum(float(-torch.log2(lk).sum()) for lk in out["likelihoods"].values())
            bpp.append(bits / (x.shape[2] * x.shape[3]))
    return float(np.mean(psnr)), float(np.mean(bpp))


def rd_cost(model, formats: list[tuple[str, GdnFormat]], images: list[np.ndarray] | None = None) -> list[dict]:
    """PSNR/bpp of the float model and of each fixed-point GDN format, on real photo patches."""
    images = images if images is not None else calibration_patches()
    p0, b0 = _rd(model, images)
    rows = [{"label": "float GDN (CompressAI)", "psnr": p0, "bpp": b0, "d_psnr": 0.0, "d_bpp_pct": 0.0}]
    acts = act.collect(model, calibration_patches())
    variants = [("float GDN between int8 quantizers (ideal kernel)", formats[0][1], True)]
    variants += [(label, fmt, False) for label, fmt in formats]
    for label, fmt, ideal in variants:
        p, b = _rd(with_golden_gdn(model, fmt, act.layer_params(model, fmt, acts), ideal), images)
        rows.append({"label": label, "psnr": p, "bpp": b, "d_psnr": p - p0, "d_bpp_pct": 100 * (b / b0 - 1)})
    return rows


def rd_markdown(rows: list[dict]) -> str:
    lines = ["| GDN | PSNR dB | bpp (estimate) | ΔPSNR dB | Δbpp % |", "|---|---|---|---|---|"]
    lines += [f"| {r['label']} | {r['psnr']:.3f} | {r['bpp']:.4f} | {r['d_psnr']:+.3f} | {r['d_bpp_pct']:+.2f} |"
              for r in rows]
    return "\n".join(lines) + "\n"
