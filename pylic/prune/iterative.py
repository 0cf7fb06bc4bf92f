"""The paper's prune-and-fine-tune loop (§III-C): per layer, drop 10% of the filters (the least important by
the schedule's criterion, in whole DPU channel groups), fine-tune until the RD loss is back, three times (30%).
Each iteration is recorded for the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from tqdm import tqdm

from pylic.models.complexity import HD
from pylic.models.complexity import model_complexity as complexity
from pylic.models.hyperprior import ScaleHyperprior
from pylic.prune.channels import keep_count, remove_channels
from pylic.prune.criteria import channel_scores, lowest
from pylic.prune.evaluate import heldout_loss, rd_metrics
from pylic.prune.finetune import finetune_until_recovered
from pylic.prune.structure import PruneSite, prunable_sites
from pylic.train.data import CropSampler



@dataclass
class PruneSchedule:
    """How much to cut and how hard to fine-tune. `ratio` is a fraction of the ORIGINAL width per iteration."""

    ratio: float = 0.1
    iterations: int = 3
    include_hyper: bool = False
    granularity: int = 16  # kept widths are multiples of this: the B4096's channel parallelism
    criterion: str = "activation"  # `criteria.CRITERIA`
    finetune_steps: int = 500  # K: the most fine-tuning steps per iteration
    check_every: int = 25
    batch: int = 8
    lr: float = 1e-4
    macs_hw: tuple[int, int] = HD


@dataclass
class PruneState:
    """Where the loop stands: the model, the widths it started from, and the report so far."""

    model: ScaleHyperprior
    original_widths: dict[str, int]
    iterations: list[dict] = field(default_factory=list)


def widths(model: ScaleHyperprior, sites: tuple[PruneSite, ...]) -> dict[str, int]:
    return {s.name: s.width(model.cfg) for s in sites}


def prune_once(model: ScaleHyperprior, original: dict[str, int], ratio: float, iteration: int,
               include_hyper: bool = False, granularity: int = 1, criterion: str = "l2",
               calib: torch.Tensor | None = None, seed: int = 0) -> tuple[ScaleHyperprior, dict[str, list[int]]]:
    """Cut every site down to its width for `iteration` (1-based), dropping the channels `criterion` ranks
    lowest (`calib`: crops for data-driven criteria); returns the new model and what went."""
    sites = prunable_sites(include_hyper)
    scores = channel_scores(model, sites, criterion, calib, seed + iteration)
    drop = {s: lowest(scores[s.name], keep_count(original[s.name], ratio, iteration, granularity)) for s in sites}
    return remove_channels(model, drop), {s.name: d for s, d in drop.items()}


def iterative_prune(state: PruneState, sched: PruneSchedule, lmbda: float, sampler_for: Callable[[int], CropSampler],
                    heldout: torch.Tensor, eval_images: list[torch.Tensor], progress: bool = True,
                    on_iteration: Callable[[PruneState], None] | None = None) -> PruneState:
    """Run the remaining iterations of `state` (resumable: it continues after the last recorded one).

    `sampler_for(i)` gives iteration i's training crops (seeded per iteration, so a resumed run sees the
    same data); `heldout` is the fixed batch whose RD loss decides when fine-tuning has recovered;
    `on_iteration` is called after each iteration (the caller saves a checkpoint and the report).
    """
    first = len(state.iterations) + 1
    bar = tqdm(range(first, sched.iterations + 1), desc="prune", disable=not progress,
               initial=first - 1, total=sched.iterations)
    for it in bar:
        model = state.model
        before = {"rd": rd_metrics(model, eval_images, lmbda), "heldout": heldout_loss(model, heldout, lmbda),
                  **complexity(model, sched.macs_hw)}
        pruned, removed = prune_once(model, state.original_widths, sched.ratio, it, sched.include_hyper,
                                     sched.granularity, sched.criterion, heldout)
        after_prune = {"rd": rd_metrics(pruned, eval_images, lmbda), "heldout": heldout_loss(pruned, heldout, lmbda),
                       **complexity(pruned, sched.macs_hw)}
        rec = finetune_until_recovered(pruned, sampler_for(it), heldout, lmbda, target=before["heldout"],
                                       max_steps=sched.finetune_steps, batch=sched.batch, lr=sched.lr,
                                       check_every=sched.check_every, progress=progress)
        state.model = pruned
        state.iterations.append({
            "iteration": it,
            "widths": widths(pruned, prunable_sites(sched.include_hyper)),
            "removed": removed,
            "before": before,
            "after_prune": after_prune,
            "after_finetune": {"rd": rd_metrics(pruned, eval_images, lmbda), "heldout": rec.final},
            "finetune": rec.to_dict(),
        })
        bar.set_postfix(params=after_prune["params"], recovered=rec.recovered)
        if on_iteration is not None:
            on_iteration(state)
    return state
