"""The Backend interface the Codec drives. Float, emulator and board backends all implement it, so
the container, tiling and entropy coding are shared code."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from pylic.ps.footprint import Layer
from pylic.ps.latent import EntropyTables


class Backend(Protocol):
    name: str
    model_hash: bytes  # 16 bytes identifying the exact weights; written into every bitstream
    entropy: EntropyTables  # the quantized CDFs, lengths, offsets and z medians the rANS coder uses (numpy)
    layers: dict[str, tuple[Layer, ...]]  # "g_s", "h_s": spatial layers, for the coded footprint (container v2)

    def analysis(self, patches: np.ndarray) -> np.ndarray:
        """uint8 (B, 3, P, P) -> y (B, M, P/16, P/16), before rounding."""

    def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
        """y -> z (B, Z, P/64, P/64), before rounding."""

    def prior_indexes(self, z_hat: np.ndarray) -> np.ndarray:
        """Decoded z_hat -> int32 Gaussian scale-table indexes for every element of y."""

    def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
        """Decoded y_hat -> uint8 (B, 3, P, P) reconstructed patches."""
