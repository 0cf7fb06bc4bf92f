"""Real GDN activations: run a model on real photos, capture every GDN/iGDN input and output.

The calibration here (int8 positions from the max |x| of calibration patches) is deliberately simple;
issue 4's quantizer will supply the positions the DPU really uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.errors import ModelError, PylicError
from pylic.fixed.formats import max_frac_for

PATCH = 256
IMAGE_NAMES = ("astronaut", "coffee", "chelsea")


@dataclass(frozen=True)
class GdnActivations:
    """Float activations of one GDN layer, channels last: inputs/outputs [n, H, W, C] (float32)."""

    name: str
    inverse: bool
    inputs: np.ndarray
    outputs: np.ndarray


def real_image(name: str) -> np.ndarray:
    """A photograph shipped with scikit-image (uint8 HWC RGB)."""
    import skimage.data

    if name not in IMAGE_NAMES:
        raise PylicError(f"unknown test image {name!r}; choose from {IMAGE_NAMES}")
    return np.ascontiguousarray(getattr(skimage.data, name)()[..., :3])


def crops(image: np.ndarray, size: int = PATCH, where: str = "center") -> list[np.ndarray]:
    """Deterministic size x size crops: `center` (one) or `corners` (four)."""
    h, w = image.shape[:2]
    if h < size or w < size:
        raise PylicError(f"image {h}x{w} is smaller than a {size}x{size} patch")
    if where == "center":
        origins = [((h - size) // 2, (w - size) // 2)]
    elif where == "corners":
        origins = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size)]
    else:
        raise PylicError(f"unknown crop placement {where!r}")
    return [image[y:y + size, x:x + size] for y, x in origins]


def vector_patches() -> list[np.ndarray]:
    """The csim vectors: one 256x256 center patch of each real photo (3 patches)."""
    return [crops(real_image(n), where="center")[0] for n in IMAGE_NAMES]


def calibration_patches() -> list[np.ndarray]:
    """Calibration set: per photo its four corner patches, then its center (vector) patch (15 patches)."""
    out = []
    for n in IMAGE_NAMES:
        img = real_image(n)
        out += crops(img, where="corners") + crops(img, where="center")
    return out


VECTOR_INDICES = (4, 9, 14)  # where `vector_patches()` sit inside `calibration_patches()`


def gdn_modules(model) -> list[tuple[str, object]]:
    """(name, module) of every GDN in g_a then g_s, in execution order, e.g. ('g_a.1', GDN)."""
    from compressai.layers import GDN

    found = [(f"{prefix}.{i}", m) for prefix in ("g_a", "g_s")
             for i, m in enumerate(getattr(model, prefix)) if isinstance(m, GDN)]
    if not found:
        raise ModelError("model has no GDN layers in g_a/g_s (a ReLU model has nothing to put in HLS)")
    return found


def collect(model, images: list[np.ndarray]) -> dict[str, GdnActivations]:
    """Run g_a on each image and g_s on round(y), as the codec does; capture GDN inputs/outputs."""
    import torch

    layers = gdn_modules(model)
    store: dict[str, list] = {name: [] for name, _ in layers}
    handles = []
    for name, module in layers:
        def hook(mod, inp, out, name=name):
            store[name].append((inp[0].permute(0, 2, 3, 1).numpy().copy(), out.permute(0, 2, 3, 1).numpy().copy()))
        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            for img in images:
                x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float() / 255.0
                y = model.g_a(x)
                model.g_s(torch.round(y))
    finally:
        for h in handles:
            h.remove()
    return {
        name: GdnActivations(name, bool(module.inverse),
                             np.concatenate([a for a, _ in store[name]]), np.concatenate([b for _, b in store[name]]))
        for name, module in layers
    }


def position(values: np.ndarray) -> int:
    """int8 position for a tensor: the largest fraction-bit count at which max |x| still fits [-127, 127]."""
    m = float(np.abs(values).max())
    return max_frac_for(m if m > 0 else 1.0, 8, signed=True)


def calibrate(acts: dict[str, GdnActivations]) -> dict[str, tuple[int, int]]:
    """(in_frac, out_frac) per GDN layer from calibration activations."""
    return {name: (position(a.inputs), position(a.outputs)) for name, a in acts.items()}
