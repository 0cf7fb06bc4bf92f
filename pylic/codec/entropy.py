"""Entropy coding of the codec: `pylic.ps.latent` (numpy tables, pylic's rANS core). This module adds the one
torch-side step, reading those tables out of CompressAI's modules for the float backend."""

from __future__ import annotations

import numpy as np

from pylic.ps.footprint import Layer
from pylic.ps.latent import EntropyTables, LatentCoder
from pylic.ps.rans import CdfTables

__all__ = ["EntropyTables", "LatentCoder", "spatial_layers", "tables_from_modules"]


def tables_from_modules(entropy_bottleneck, gaussian_conditional) -> EntropyTables:
    """The tables CompressAI's own `compress` would use (so v1 bytes equal CompressAI's)."""
    eb, gc = entropy_bottleneck, gaussian_conditional

    def cdf(m) -> CdfTables:
        return CdfTables(m.quantized_cdf.numpy(), m.cdf_length.numpy(), m.offset.numpy())

    medians = eb._get_medians().detach().reshape(-1).numpy().astype(np.float32)
    return EntropyTables(cdf(eb), medians, cdf(gc))


def spatial_layers(module) -> tuple[Layer, ...]:
    """(kind, kernel, stride, padding) of every Conv2d / ConvTranspose2d of a torch module, in order."""
    import torch

    out: list[Layer] = []
    for m in module.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            kind = "deconv" if isinstance(m, torch.nn.ConvTranspose2d) else "conv"
            if len(set(m.kernel_size)) != 1 or len(set(m.stride)) != 1 or len(set(m.padding)) != 1 \
                    or tuple(m.dilation) != (1, 1):
                raise ValueError(f"{m}: the coded footprint assumes square, undilated layers")
            out.append((kind, int(m.kernel_size[0]), int(m.stride[0]), int(m.padding[0])))
    return tuple(out)
