"""The coded footprint (container v2) against brute force: gradients of real torch layers say which inputs can
change the first v outputs; `needed_inputs` must name exactly those (fewer would change pixels, more waste bits)."""

import pytest
import torch

from pylic.codec.tiling import TileGrid
from pylic.ps.footprint import needed_inputs, patch_extents

G_S = (("deconv", 5, 2, 2),) * 4
H_S = (("deconv", 5, 2, 2), ("deconv", 5, 2, 2), ("conv", 3, 1, 1))


def _net(layers) -> torch.nn.Sequential:
    mods = []
    for kind, k, s, p in layers:
        m = (torch.nn.ConvTranspose2d(1, 1, k, s, p, output_padding=s - 1, bias=False) if kind == "deconv"
             else torch.nn.Conv2d(1, 1, k, s, p, bias=False))
        torch.nn.init.constant_(m.weight, 1.0)
        mods.append(m)
    return torch.nn.Sequential(*mods)


@pytest.mark.parametrize("layers", [G_S, H_S, (("conv", 5, 2, 2),) * 2, (("conv", 3, 1, 1), ("deconv", 3, 2, 1))])
def test_needed_inputs_is_exact(layers, one_torch_thread):
    n = 6
    net = _net(layers)
    out_n = net(torch.zeros(1, 1, n, n)).shape[-1]
    for v in sorted(set(range(0, out_n + 1, 3)) | {1, 2, out_n - 1, out_n}):
        x = torch.zeros(1, 1, n, n, requires_grad=True)
        net(x)[0, 0, :v, :v].sum().backward()
        touched = (x.grad[0, 0, 0] != 0).nonzero()
        want = int(touched.max()) + 1 if v and len(touched) else 0
        assert needed_inputs(layers, v, n) == want, v


def test_patch_extents_of_a_bsds_frame():
    """481x321 in 256-patches: the right column keeps all 16 y columns (225 valid pixels + a 30-pixel reach),
    the bottom row only 6 of 16 y rows (65 valid pixels); h_s's reach keeps every z."""
    ext = patch_extents(TileGrid(321, 481, 256, 0), G_S, H_S)
    assert ext[0] == ((16, 16), (4, 4))
    assert ext[1] == ((16, 16), (4, 4))
    assert ext[2] == ext[3] == ((6, 16), (4, 4))
    assert patch_extents(TileGrid(60, 70, 256, 0), G_S, H_S) == [((6, 7), (4, 4))]
