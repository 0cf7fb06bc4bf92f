"""Physical channel removal: how many filters stay (`keep_count`), and cutting the chosen ones out of every
tensor that holds them (which ones: `criteria.py`).

Why by hand and not with torch-pruning: torch-pruning 1.6.1 traces CompressAI's GDN as "unwrapped
parameters" and prunes only the last dimension of γ (C×C) — γ becomes C×C' and the layer's
`gamma.reshape(C, C, 1, 1)` fails at the next forward. A custom torch-pruning pruner for GDN would fix it,
but the transforms are plain chains (conv → GDN → conv), so the explicit table in `structure.py` is
shorter, has no extra dependency and is verified against zeroed channels in the tests.

GDN/IGDN store β and γ reparametrised (`NonNegativeParametrizer`: an elementwise bound and square), so
indexing the stored tensors selects exactly the same entries of the effective β and γ: β[keep],
γ[keep][:, keep]. A removed channel is equivalent to a channel whose filter (weights and bias) is zero:
its GDN output is 0·(…)^-½ = 0, it adds γ_ij·0² = 0 to every other channel's norm, and the next layer
multiplies it by its input weights to 0.
"""

from __future__ import annotations

import copy

import torch

from pylic.errors import ModelError
from pylic.models.hyperprior import ScaleHyperprior
from pylic.prune.criteria import filter_norms, lowest
from pylic.prune.structure import PruneSite


def keep_count(original: int, ratio: float, iteration: int, granularity: int = 1) -> int:
    """Channels left after `iteration` rounds of removing `ratio` of the ORIGINAL width (10% ×3 = 30%).

    Counting from the original width makes the total exact (no compounding, 0.9³ would give 27%).
    `granularity` makes the kept width the multiple of it nearest to that (at least one granule, never more
    than the original): the B4096 computes 16 channels at a time, so only 16-aligned cuts lower DPU cycles
    (a width of 22 costs what 32 costs). A round that cannot move to another multiple cuts nothing.
    """
    if not 0.0 <= ratio < 1.0 or iteration < 0:
        raise ModelError(f"prune ratio must be in [0, 1) and iteration >= 0, got {ratio}, {iteration}")
    if granularity < 1:
        raise ModelError(f"granularity must be >= 1, got {granularity}")
    keep = original - round(original * ratio * iteration)
    if granularity > 1:
        keep = max(granularity, (2 * keep + granularity) // (2 * granularity) * granularity)  # nearest, half up
    return max(1, min(original, keep))


def lowest_norm_channels(model: ScaleHyperprior, site: PruneSite, keep: int) -> list[int]:
    """Indices of the filters to remove: the (width − keep) lowest norms (ties: lower index first)."""
    return lowest(filter_norms(model, site), keep)


def _keep_index(width: int, drop: list[int]) -> torch.Tensor:
    bad = [i for i in drop if not 0 <= i < width]
    if bad or len(set(drop)) != len(drop) or len(drop) >= width:
        raise ModelError(f"cannot drop channels {drop} of a {width}-channel layer")
    return torch.tensor([i for i in range(width) if i not in set(drop)], dtype=torch.long)


def remove_channels(model: ScaleHyperprior, drop: dict[PruneSite, list[int]]) -> ScaleHyperprior:
    """A new, smaller model: each site loses `drop[site]` from producer out, norm β/γ, consumer in.

    The model is rebuilt from the edited state dict (`from_state_dict` infers the new widths), so the
    result is an ordinary ScaleHyperprior whose config says its real shape; CDF tables are rebuilt.
    """
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for site, channels in drop.items():
        if not channels:
            continue
        keep = _keep_index(site.width(model.cfg), list(channels))
        w = f"{site.producer}.weight"
        sd[w] = sd[w].index_select(1 if site.producer_deconv else 0, keep)
        sd[f"{site.producer}.bias"] = sd[f"{site.producer}.bias"][keep]
        if site.norm is not None and f"{site.norm}.beta" in sd:
            sd[f"{site.norm}.beta"] = sd[f"{site.norm}.beta"][keep]
            sd[f"{site.norm}.gamma"] = sd[f"{site.norm}.gamma"][keep][:, keep]
        c = f"{site.consumer}.weight"
        sd[c] = sd[c].index_select(0 if site.consumer_deconv else 1, keep)
    pruned = ScaleHyperprior.from_state_dict(sd, model.cfg.activation)
    pruned.train(model.training)
    pruned.update(force=True)
    return pruned


@torch.no_grad()
def zero_channels(model: ScaleHyperprior, drop: dict[PruneSite, list[int]]) -> ScaleHyperprior:
    """A copy of the model with the dropped filters (weights and bias) set to zero: the reference that a
    physically pruned model must reproduce."""
    ref = copy.deepcopy(model)
    params = dict(ref.named_parameters())
    for site, channels in drop.items():
        if not channels:
            continue
        idx = torch.tensor(list(channels), dtype=torch.long)
        w = params[f"{site.producer}.weight"]
        if site.producer_deconv:
            w[:, idx] = 0.0
        else:
            w[idx] = 0.0
        params[f"{site.producer}.bias"][idx] = 0.0
    return ref
