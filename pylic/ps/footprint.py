"""Which latent positions can change the pixels of the frame ("pay only for the real picture").

Tiling pads a patch at its bottom and right only, so the pixels of a patch that land inside the frame are a
prefix rectangle (rows 0..vh-1, columns 0..vw-1). A y position whose synthesis footprint misses that rectangle
cannot change one pixel of the frame, and a z position whose hyper-synthesis footprint misses every y position
still needed cannot change one of their scale indexes. Container v2 codes only the needed prefixes; the decoder
fills the rest with what the encoder assumed (y = 0, z = its median), and the encoder derives the y indexes from
that same filled z, so both sides agree exactly whatever arithmetic the backend uses.

Layers are (kind, kernel, stride, padding) with kind "conv" or "deconv" (PyTorch's Conv2d/ConvTranspose2d
index rules); per-pixel layers (GDN, ReLU, abs) do not widen footprints and are left out.
"""

from __future__ import annotations

from typing import Sequence

Layer = tuple[str, int, int, int]


def needed_inputs(layers: Sequence[Layer], outputs: int, inputs: int) -> int:
    """How many leading input positions (of `inputs`) can influence output positions 0..outputs-1."""
    need = outputs
    for kind, k, s, p in reversed(layers):  # intermediate counts may exceed a layer's size: only the input clamps
        if need <= 0:
            return 0
        if kind == "deconv":  # input i writes outputs s*i - p .. s*i - p + k - 1
            need = (need - 1 + p) // s + 1
        else:  # output j reads inputs s*j - p .. s*j - p + k - 1
            need = s * (need - 1) - p + k
    return max(0, min(inputs, need))


def coded_extent(valid: tuple[int, int], patch: int, g_s: Sequence[Layer], h_s: Sequence[Layer],
                 y_down: int = 16, z_down: int = 64) -> tuple[tuple[int, int], tuple[int, int]]:
    """((y rows, y cols), (z rows, z cols)) to code for a patch whose leading valid[0] x valid[1] pixels are
    inside the frame."""
    ny, nz = patch // y_down, patch // z_down
    y = tuple(needed_inputs(g_s, v, ny) for v in valid)
    z = tuple(needed_inputs(h_s, v, nz) for v in y)
    return (y[0], y[1]), (z[0], z[1])


def patch_extents(grid, g_s: Sequence[Layer], h_s: Sequence[Layer]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """`coded_extent` of every patch of a TileGrid, in bitstream order (from origins, height, width, patch)."""
    cache: dict[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]] = {}
    out = []
    for oy, ox in grid.origins():
        valid = (min(grid.patch, grid.height - oy), min(grid.patch, grid.width - ox))
        if valid not in cache:
            cache[valid] = coded_extent(valid, grid.patch, g_s, h_s)
        out.append(cache[valid])
    return out


def package_layers(manifest, arrays) -> dict[str, tuple[Layer, ...]]:
    """The g_s and h_s spatial layers of a deploy package (what `patch_extents` takes), from its manifest ops."""
    return {t: tuple(("deconv" if op.op == "deconv" else "conv", int(arrays[f"{op.name}.weight"].shape[-1]),
                      op.stride, op.padding) for op in manifest.transforms[t] if op.op in ("conv", "deconv"))
            for t in ("g_s", "h_s")}
