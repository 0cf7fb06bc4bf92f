"""Real GDN activations of a float model: run it on the photographs, capture every GDN/iGDN input and output,
and place int8 positions from their max |x|. For the GDN error analysis only (`gdn_error`, `gdn_rd_cost`):
HLS kernels and the emulator take their positions from the quantizer, through the deploy package."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pylic.fixed.formats import max_frac_for
from pylic.fixed.gdn_params import GdnFormat, GdnLayerParams, quantize_gdn
from pylic.models.gdn import export_gdn, gdn_modules


@dataclass(frozen=True)
class GdnActivations:
    """Float activations of one GDN layer, channels last: inputs/outputs [n, H, W, C] (float32)."""

    name: str
    inverse: bool
    inputs: np.ndarray
    outputs: np.ndarray


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


def layer_params(model, fmt: GdnFormat | None = None, acts: dict[str, GdnActivations] | None = None
                 ) -> tuple[dict[str, GdnLayerParams], dict[str, GdnActivations]]:
    """Fixed-point parameters of every GDN layer at max-calibrated positions, plus the activations they came
    from (the analysis' own positions; see gdn_fixed_point.md §2)."""
    from pylic.eval.photos import calibration_patches

    fmt = fmt or GdnFormat()
    acts = acts if acts is not None else collect(model, calibration_patches())
    positions = calibrate(acts)
    modules = dict(gdn_modules(model))
    params = {}
    for name in acts:
        beta, gamma, inverse = export_gdn(modules[name])
        params[name] = quantize_gdn(name, beta, gamma, inverse, *positions[name], fmt)
    return params, acts
