"""Float PyTorch backend: the trained model as is (bitstreams decode on the same host and build)."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from pylic.codec.entropy import spatial_layers, tables_from_modules
from pylic.models.hyperprior import ScaleHyperprior


def state_hash(model: torch.nn.Module) -> bytes:
    """16-byte SHA-256 prefix over every parameter and buffer (names, dtypes, shapes, bytes)."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        arr = t.detach().cpu().contiguous().numpy()
        h.update(f"{name}|{arr.dtype.str}|{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.digest()[:16]


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """[0, 1] floats to 8-bit pixels, round half up; NaN (from a crafted stream) becomes 0."""
    x = torch.nan_to_num(x, nan=0.0).clamp(0.0, 1.0)
    return torch.floor(x * 255.0 + 0.5).to(torch.uint8).numpy()


class TorchBackend:
    def __init__(self, model: ScaleHyperprior, name: str = ""):
        self.model = model.eval()
        self.name = name
        self.model_hash = state_hash(model)
        self.gaussian_conditional = model.gaussian_conditional  # its build_indexes is this backend's prior rule
        self.entropy = tables_from_modules(model.entropy_bottleneck, model.gaussian_conditional)
        self.layers = {"g_s": spatial_layers(model.g_s), "h_s": spatial_layers(model.h_s)}

    @torch.no_grad()
    def analysis(self, patches: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(patches).float() / 255.0
        return self.model.g_a(x).numpy()

    @torch.no_grad()
    def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
        return self.model.h_a(torch.abs(torch.from_numpy(y))).numpy()

    @torch.no_grad()
    def prior_indexes(self, z_hat: np.ndarray) -> np.ndarray:
        scales = self.model.h_s(torch.from_numpy(z_hat))
        return self.gaussian_conditional.build_indexes(scales).numpy().astype(np.int32)

    @torch.no_grad()
    def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
        return to_uint8(self.model.g_s(torch.from_numpy(y_hat)))
