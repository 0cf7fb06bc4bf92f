"""The Backend interface the Codec drives. Float, emulator and board backends all implement it, so
the container, tiling and entropy coding are shared code."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from compressai.entropy_models import EntropyBottleneck, GaussianConditional


class Backend(Protocol):
    name: str
    model_hash: bytes  # 16 bytes identifying the exact weights; written into every bitstream
    entropy_bottleneck: EntropyBottleneck
    gaussian_conditional: GaussianConditional

    def analysis(self, patches: np.ndarray) -> np.ndarray:
        """uint8 (B, 3, P, P) -> y (B, M, P/16, P/16), before rounding."""

    def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
        """y -> z (B, Z, P/64, P/64), before rounding."""

    def prior_indexes(self, z_hat: np.ndarray) -> np.ndarray:
        """Decoded z_hat -> int32 Gaussian scale-table indexes for every element of y."""

    def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
        """Decoded y_hat -> uint8 (B, 3, P, P) reconstructed patches."""
