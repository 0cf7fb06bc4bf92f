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
