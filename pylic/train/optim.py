"""One optimisation step of a CompressAI model: main loss, gradient clipping, then the auxiliary loss
that fits the entropy bottleneck's quantiles. Shared by distillation and distributed RD training."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from pylic.errors import TrainingError
from pylic.train.distributed import DistEnv, sync_aux_grads


@dataclass
class Optimizers:
    main: torch.optim.Optimizer
    aux: torch.optim.Optimizer
    main_params: list[nn.Parameter]


def make_optimizers(model: nn.Module, lr: float, aux_lr: float) -> Optimizers:
    """Adam on every parameter but the quantiles, and a separate Adam on the quantiles (CompressAI's split)."""
    main = [p for n, p in model.named_parameters() if not n.endswith(".quantiles") and p.requires_grad]
    aux = [p for n, p in model.named_parameters() if n.endswith(".quantiles")]
    return Optimizers(torch.optim.Adam(main, lr=lr), torch.optim.Adam(aux, lr=aux_lr), main)


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr


MAX_BAD_STEPS = 25  # consecutive skipped steps after which a run counts as diverged


def train_step(loss: torch.Tensor, model: nn.Module, opts: Optimizers, clip: float,
               env: DistEnv = DistEnv()) -> tuple[float, bool]:
    """Backward (DDP averages the gradients when `loss` came through a DDP module), clip the main
    parameters only, step; then the aux loss on the bare model with its gradients averaged by hand.

    A step whose gradient norm is not finite (one bad batch: a NaN/inf loss) is skipped, so one batch cannot
    turn the weights into NaN. The norm is taken after DDP's all-reduce, so every rank decides the same.
    Returns (aux loss, whether the step was applied)."""
    opts.main.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(opts.main_params, clip if clip else float("inf"))
    if not torch.isfinite(norm):
        opts.main.zero_grad()
        return float("nan"), False
    opts.main.step()
    aux = model.aux_loss()  # type: ignore[operator]
    opts.aux.zero_grad()
    aux.backward()
    sync_aux_grads(model, env)
    if torch.isfinite(aux):
        opts.aux.step()
    return float(aux.detach()), True


class DivergenceGuard:
    """Counts skipped steps; `MAX_BAD_STEPS` in a row stops the run with a TrainingError (the checkpoint on
    disk is the last one written, from before)."""

    def __init__(self, limit: int = MAX_BAD_STEPS):
        self.limit, self.run, self.skipped = limit, 0, 0

    def record(self, applied: bool, step: int) -> None:
        if applied:
            self.run = 0
            return
        self.run += 1
        self.skipped += 1
        if self.run >= self.limit:
            raise TrainingError(f"training diverged: {self.run} steps in a row up to step {step + 1} had non-finite "
                                "gradients; the last checkpoint on disk is from before (lower --lr to resume)")


def check_finite(model: nn.Module) -> None:
    """Refuse to save non-finite weights (they would silently replace the last good checkpoint)."""
    bad = [n for n, p in model.named_parameters() if not torch.isfinite(p).all()]
    if bad:
        raise TrainingError(f"non-finite weights in {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''}; "
                            "not saved")
