"""Which filters to remove: importance criteria that rank a site's output channels (lowest first goes).

- `l2`: the filter's weight norm (the paper's criterion). On a GDN model it ignores that GDN rescales every
  channel by its own β/γ response, so a small filter can carry a large normalised output; measured on
  `pylic-hp-v2-q2` it cuts worse than random (`docs/distill_prune.md`).
- `random`: a seeded permutation, the baseline any criterion must beat.
- `activation`: data-driven and GDN-aware: the mean |activation| of the channel *after* its GDN/IGDN (or ReLU)
  on calibration crops, times the L2 norm of the consumer's input weights for that channel — how much the
  channel feeds the next layer. A channel that GDN suppresses, or that the next layer ignores, scores low.
"""

from __future__ import annotations

from typing import Sequence

import torch

from pylic.errors import ModelError
from pylic.models.hyperprior import ScaleHyperprior
from pylic.prune.structure import PruneSite

CRITERIA = ("l2", "random", "activation")


def filter_norms(model: ScaleHyperprior, site: PruneSite) -> torch.Tensor:
    """L2 norm of each output filter of the site's producer (bias excluded, as in filter pruning)."""
    w = model.state_dict()[f"{site.producer}.weight"].detach()
    dims = (0, 2, 3) if site.producer_deconv else (1, 2, 3)
    return torch.linalg.vector_norm(w, dim=dims)


def consumer_norms(model: ScaleHyperprior, site: PruneSite) -> torch.Tensor:
    """L2 norm of the consumer's weights that read each channel of the site."""
    w = model.state_dict()[f"{site.consumer}.weight"].detach()
    dims = (1, 2, 3) if site.consumer_deconv else (0, 2, 3)
    return torch.linalg.vector_norm(w, dim=dims)


@torch.no_grad()
def mean_abs_activations(model: ScaleHyperprior, sites: Sequence[PruneSite], images: torch.Tensor
                         ) -> dict[str, torch.Tensor]:
    """Per site, the mean |x| of each channel after its GDN/IGDN (ReLU sites: after the ReLU) over `images`
    (Nx3xHxW in [0, 1]), from one eval-mode forward through all four transforms (g_s reads the rounded y)."""
    mods = dict(model.named_modules())
    sums: dict[str, torch.Tensor] = {}
    hooks = []
    for site in sites:
        relu = site.norm is None

        def hook(m: torch.nn.Module, inp: tuple, out: torch.Tensor, name: str = site.name, relu: bool = relu) -> None:
            a = out.clamp(min=0) if relu else out.abs()
            sums[name] = a.mean(dim=(0, 2, 3))

        hooks.append(mods[site.producer if relu else site.norm].register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        y = model.g_a(images)
        z = model.h_a(torch.abs(y))
        model.h_s(torch.round(z))
        model.g_s(torch.round(y))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return sums


def channel_scores(model: ScaleHyperprior, sites: Sequence[PruneSite], criterion: str,
                   calib: torch.Tensor | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    """Importance of every channel of every site under `criterion` (higher = keep)."""
    if criterion not in CRITERIA:
        raise ModelError(f"prune criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}")
    if criterion == "l2":
        return {s.name: filter_norms(model, s) for s in sites}
    if criterion == "random":
        g = torch.Generator().manual_seed(seed)
        return {s.name: torch.rand(s.width(model.cfg), generator=g, dtype=torch.float64) for s in sites}
    if calib is None:
        raise ModelError("the activation criterion needs calibration crops")
    act = mean_abs_activations(model, sites, calib)
    return {s.name: act[s.name].double() * consumer_norms(model, s).double() for s in sites}


def lowest(scores: torch.Tensor, keep: int) -> list[int]:
    """Indices of the (width − keep) lowest scores (ties: lower index first), sorted."""
    n_drop = scores.numel() - keep
    if n_drop <= 0:
        return []
    order = sorted(range(scores.numel()), key=lambda i: (float(scores[i]), i))
    return sorted(order[:n_drop])
