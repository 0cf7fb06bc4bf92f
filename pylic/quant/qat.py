"""Quantization-aware training (paper §III-D): fine-tune the fake-quantized model for N iterations on the RD
loss, positions fixed by the PTQ calibration, gradients through straight-through estimators."""

from __future__ import annotations

import math
from typing import Callable

import torch
from tqdm import tqdm

from pylic.models.hyperprior import ScaleHyperprior
from pylic.quant.fakequant import simulate, strip
from pylic.quant.plan import QuantPlan
from pylic.train.optim import DivergenceGuard, make_optimizers, train_step
from pylic.train.rd import rd_loss


def qat(model: ScaleHyperprior, plan: QuantPlan, batches: Callable[[int], torch.Tensor], steps: int, lmbda: float,
        lr: float = 1e-5, aux_lr: float = 1e-3, batch: int = 8, clip: float = 1.0, seed: int = 0,
        progress: bool = True, log: Callable[[dict], None] | None = None) -> ScaleHyperprior:
    """Train `simulate(model, plan)` for `steps` steps on `batches(batch)` (float [B, 3, H, W] in [0, 1]) and
    return the float model (CDF tables rebuilt) to export with the same plan."""
    torch.manual_seed(seed)
    sim = simulate(model, plan).train()
    opts = make_optimizers(sim, lr, aux_lr)
    bar = tqdm(range(steps), desc="qat", disable=not progress)
    ema: dict[str, float] = {}
    guard = DivergenceGuard()
    for step in bar:
        x = batches(batch)
        res = rd_loss(sim(x), x, lmbda)
        applied = train_step(res["loss"], sim, opts, clip)[1]
        guard.record(applied, step)
        if not applied:
            continue
        vals = {k: float(v.detach()) for k, v in res.items()}
        ema = {k: v if k not in ema else 0.95 * ema[k] + 0.05 * v for k, v in vals.items()}
        psnr = -10 * math.log10(max(ema["mse"], 1e-10))
        bar.set_postfix(loss=f"{ema['loss']:.3f}", bpp=f"{ema['bpp']:.3f}", psnr=f"{psnr:.2f}")
        if log is not None:
            log({"step": step + 1, **vals})
    model = strip(sim).eval()
    model.update(force=True)
    return model
