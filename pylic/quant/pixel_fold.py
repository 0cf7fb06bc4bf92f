"""Folding a pixel convention into the float model's first and last layers, so that the DPU reads and writes
pixels in the package's convention (`pylic.ps.pixels`) while the float model keeps seeing p / 255.

The DPU reads v = p / s_in - o_in * 2**-P_in and the model wants x = p / 255 = (s_in / 255) (v + o_in 2**-P_in), so
g_a.0 becomes W' = W s_in / 255, b' = b + (s_in / 255) o_in 2**-P_in sum(W) (sum over input channels and taps).
The PS writes p = v s_out + o_out for g_s's output v, and the model's is 255 x̂, so the last layer of g_s becomes
W' = W 255 / s_out, b' = (255 b - o_out) / s_out. Exact for the unpadded pixels; where g_a.0 zero-pads, the DPU
pads v = 0, which is a pixel of o_in * s_in * 2**-P_in (grey for `centred`) instead of black.
"""

from __future__ import annotations

import copy

import torch

from pylic.models.hyperprior import ScaleHyperprior
from pylic.ps.pixels import convention_constants
from pylic.quant.plan import QuantConfig


def pixel_constants(config: QuantConfig, output_position: int) -> dict[str, int]:
    """The PixelSpec numbers (scales, offsets) of a config's conventions at its positions."""
    s_in, o_in = convention_constants(config.pixels_in, config.input_position)
    s_out, o_out = convention_constants(config.pixels_out, output_position)
    return {"input_scale": s_in, "input_offset": o_in, "output_scale": s_out, "output_offset": o_out}


def _last(layers: torch.nn.Sequential) -> torch.nn.Module:
    return [m for m in layers if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))][-1]


@torch.no_grad()
def fold_pixels(model: ScaleHyperprior, config: QuantConfig, output_position: int) -> ScaleHyperprior:
    """A copy of `model` whose g_a.0 reads and whose last g_s layer writes the config's pixel conventions (the
    model itself when both are `unsigned`, where the fold is the identity)."""
    if config.pixels_in == "unsigned" and config.pixels_out == "unsigned":
        return model
    c = pixel_constants(config, output_position)
    folded = copy.deepcopy(model)
    first = [m for m in folded.g_a if isinstance(m, torch.nn.Conv2d)][0]
    w = first.weight.double()
    gain = c["input_scale"] / 255.0
    shift = c["input_offset"] * 2.0 ** -config.input_position
    first.bias.copy_((first.bias.double() + gain * shift * w.sum(dim=(1, 2, 3))).float())
    first.weight.copy_((w * gain).float())
    last = _last(folded.g_s)
    last.weight.copy_((last.weight.double() * 255.0 / c["output_scale"]).float())
    last.bias.copy_(((last.bias.double() * 255.0 - c["output_offset"]) / c["output_scale"]).float())
    return folded
