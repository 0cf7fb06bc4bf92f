"""The seam study's three reconstructions agree exactly on a block-local model (every 16x16 pixel block is coded
by its own latent), whatever the frame size: any misplaced window, owned block or crop breaks equality."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from pylic.errors import PylicError
from pylic.eval import seams


@pytest.fixture(scope="module")
def block_model():
    torch.manual_seed(0)
    g_a = torch.nn.Conv2d(3, 6, 16, stride=16)
    g_s = torch.nn.ConvTranspose2d(6, 3, 16, stride=16)
    with torch.no_grad():
        g_a.weight.mul_(40.0)  # latents of several integer levels, so rounding matters
        g_s.weight.mul_(0.05)
        g_s.bias.fill_(0.5)
    return types.SimpleNamespace(g_a=g_a.eval(), g_s=g_s.eval())


@pytest.mark.parametrize("h,w", [(256, 256), (300, 451), (96, 700)])
def test_block_local_model_gives_the_same_pixels_every_way(block_model, photo, h, w):
    img = np.ascontiguousarray(np.resize(photo, (h, w, 3)))
    ref = seams.whole(block_model, img)
    assert ref.shape == img.shape and len(np.unique(ref)) > 16
    np.testing.assert_array_equal(seams.per_patch(block_model, img), ref)
    for c in (0, 16, 32, 64):
        np.testing.assert_array_equal(seams.context_tiled(block_model, img, c), ref)


def test_context_must_be_whole_latents(block_model, photo):
    with pytest.raises(PylicError, match="multiple of 16"):
        seams.context_tiled(block_model, photo[:64, :64], 24)
