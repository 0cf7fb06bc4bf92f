"""Fine-tune a pruned model with the RD loss until it is as good as before the cut (or K steps pass)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from tqdm import tqdm

from pylic.models.hyperprior import ScaleHyperprior
from pylic.prune.evaluate import heldout_loss
from pylic.train.data import CropSampler
from pylic.train.optim import DivergenceGuard, make_optimizers, train_step
from pylic.train.rd import rd_loss


@dataclass
class Recovery:
    """What fine-tuning achieved: the loss to get back to, where it started and ended, and how long."""

    target: float
    start: float
    final: float
    steps: int
    recovered: bool
    trajectory: list[tuple[int, float]] = field(default_factory=list)  # (step, held-out loss) at each check

    def to_dict(self) -> dict:
        return asdict(self)


def finetune_until_recovered(model: ScaleHyperprior, sampler: CropSampler, heldout: torch.Tensor, lmbda: float,
                             target: float, max_steps: int, batch: int = 8, lr: float = 1e-4,
                             aux_lr: float = 1e-3, clip: float = 1.0, check_every: int = 25,
                             progress: bool = True) -> Recovery:
    """Adam on R + λ·255²·MSE; every `check_every` steps the held-out RD loss (eval mode) is compared with
    `target` (the pre-pruning value) and training stops as soon as it is reached. Trains `model` in place."""
    start = heldout_loss(model, heldout, lmbda)
    rec = Recovery(target=target, start=start, final=start, steps=0, recovered=start <= target,
                   trajectory=[(0, start)])
    if rec.recovered or max_steps <= 0:
        return rec
    opts = make_optimizers(model, lr, aux_lr)
    model.train()
    bar = tqdm(range(max_steps), desc="finetune", disable=not progress, leave=False)
    guard = DivergenceGuard()
    for step in bar:
        x = sampler.batch(batch)
        guard.record(train_step(rd_loss(model(x), x, lmbda)["loss"], model, opts, clip)[1], step)
        done = step + 1
        if done % check_every == 0 or done == max_steps:
            loss = heldout_loss(model, heldout, lmbda)
            rec.trajectory.append((done, loss))
            rec.final, rec.steps = loss, done
            bar.set_postfix(heldout=f"{loss:.4f}", target=f"{target:.4f}")
            if loss <= target:
                rec.recovered = True
                break
    model.eval()
    model.update(force=True)
    return rec
