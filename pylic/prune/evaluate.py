"""Cheap, deterministic RD measurements used while pruning: the report's eval set and the held-out loss.

Rates are the entropy of the rounded latents under the model's own priors (eval-mode forward); the range
coder adds a few bytes per patch on top, which is the same for every pruning stage, so stage-to-stage
differences are what the real codec would show.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from pylic.errors import PylicError
from pylic.imageio import read_image
from pylic.models.hyperprior import ScaleHyperprior
from pylic.train.data import find_images
from pylic.train.rd import rd_loss


def load_eval_images(folder: str | Path, limit: int = 4, crop: int = 256) -> list[torch.Tensor]:
    """The first `limit` images of a folder, centre-cropped to `crop` (a multiple of 64), as 1x3xHxW."""
    if crop % 64:
        raise PylicError(f"eval crop must be a multiple of 64, got {crop}")
    images = []
    for path in find_images(folder)[:limit]:
        a = read_image(path)
        h, w = a.shape[:2]
        c = min(crop, h - h % 64, w - w % 64)
        if c < 64:
            continue
        y0, x0 = (h - c) // 2, (w - c) // 2
        a = np.ascontiguousarray(a[y0:y0 + c, x0:x0 + c])
        images.append(torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255.0)
    if not images:
        raise PylicError(f"no image of at least 64x64 under {folder}")
    return images


@torch.no_grad()
def rd_metrics(model: ScaleHyperprior, images: list[torch.Tensor], lmbda: float) -> dict[str, float]:
    """Mean bpp, PSNR (of the [0,1]-clamped reconstruction) and RD loss over the images, eval mode."""
    was_training = model.training
    model.eval()
    bpp = psnr = loss = 0.0
    try:
        for x in images:
            out = model(x)
            res = rd_loss(out, x, lmbda)
            mse = float(torch.mean((out["x_hat"].clamp(0, 1) - x) ** 2))
            bpp += float(res["bpp"])
            psnr += -10 * math.log10(max(mse, 1e-10))
            loss += float(res["loss"])
    finally:
        model.train(was_training)
    n = len(images)
    return {"bpp": bpp / n, "psnr": psnr / n, "loss": loss / n}


@torch.no_grad()
def heldout_loss(model: ScaleHyperprior, batch: torch.Tensor, lmbda: float) -> float:
    """RD loss of one fixed batch, eval mode (rounded latents): the fine-tuning stop criterion."""
    return rd_metrics(model, [batch], lmbda)["loss"]
