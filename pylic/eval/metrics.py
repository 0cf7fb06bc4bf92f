"""Distortion and rate measures, computed the way CompressAI's eval does (RGB PSNR, max 255)."""

from __future__ import annotations

import math

import numpy as np


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    m = mse(a, b)
    return float("inf") if m == 0 else 10 * math.log10(255.0**2 / m)


def bpp(num_bytes: int, image: np.ndarray) -> float:
    return 8.0 * num_bytes / (image.shape[0] * image.shape[1])


MS_SSIM_MIN_SIDE = 161  # pytorch-msssim's 5 scales with an 11-tap window need a side > (11 - 1) * 2**4


def ms_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """RGB MS-SSIM of two HxWx3 uint8 images (data range 255) with the `pytorch-msssim` package, as CompressAI's
    eval reports it; NaN when a side is under 161 pixels (too small for five scales)."""
    if min(a.shape[:2]) < MS_SSIM_MIN_SIDE:
        return float("nan")
    import torch
    from pytorch_msssim import ms_ssim as _ms_ssim

    def t(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(x, dtype=np.float64)).permute(2, 0, 1)[None]

    return float(_ms_ssim(t(a), t(b), data_range=255.0))
