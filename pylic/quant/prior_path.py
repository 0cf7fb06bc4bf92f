"""The integer prior path alone (DESIGN §5), to measure its RD cost apart from int8 convolution.

`IntegerPriorBackend` runs the float transforms but codes exactly as the deploy package does: y and z rounded
half up and saturated to int8 (output position 0), h_a on |y_q| (saturated to 127), z coded against integer
medians, and the scale of y quantized to int8 at `sigma_position` and indexed by integer comparison.
Comparing it with the float TorchBackend gives the cost of making the prior path integer; comparing the
emulator with it gives the cost of int8 convolutions and fixed-point GDN.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from pylic.deploy import entropy
from pylic.models.hyperprior import ScaleHyperprior
from pylic.runtime.float_backend import TorchBackend


def _int8(x: torch.Tensor) -> torch.Tensor:
    return torch.floor(x + 0.5).clamp_(-128, 127)


class IntegerPriorBackend(TorchBackend):
    def __init__(self, model: ScaleHyperprior, sigma_position: int, name: str = "int-prior"):
        super().__init__(model, name)
        self.sigma_position = sigma_position
        self.model_hash = hashlib.sha256(self.model_hash + f"int-prior/{sigma_position}".encode()).digest()[:16]
        self.entropy_bottleneck = entropy.integer_median_eb(model.entropy_bottleneck)
        gc = self.gaussian_conditional
        thr = entropy.scale_thresholds(gc.scale_table.numpy(), float(gc.lower_bound_scale.bound), sigma_position)
        self._lut = torch.from_numpy(entropy.index_lut(thr))

    @torch.no_grad()
    def analysis(self, patches: np.ndarray) -> np.ndarray:
        return _int8(torch.from_numpy(super().analysis(patches))).numpy()

    @torch.no_grad()
    def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
        y_abs = torch.abs(torch.from_numpy(y)).clamp_(max=127)
        return _int8(self.model.h_a(y_abs)).numpy()

    @torch.no_grad()
    def prior_indexes(self, z_hat: np.ndarray) -> np.ndarray:
        sigma = self.model.h_s(torch.from_numpy(z_hat).clamp(-128, 127))
        q = _int8(sigma * 2.0**self.sigma_position).long()
        return self._lut[q + 128].numpy()
