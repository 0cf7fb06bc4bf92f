"""One optimisation step of a CompressAI model: main loss, gradient clipping, then the auxiliary loss
that fits the entropy bottleneck's quantiles. Shared by distillation and distributed RD training."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

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


def train_step(loss: torch.Tensor, model: nn.Module, opts: Optimizers, clip: float,
               env: DistEnv = DistEnv()) -> float:
    """Backward (DDP averages the gradients when `loss` came through a DDP module), clip the main
    parameters only, step; then the aux loss on the bare model with its gradients averaged by hand.
    Returns the aux loss."""
    opts.main.zero_grad()
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_(opts.main_params, clip)
    opts.main.step()
    aux = model.aux_loss()  # type: ignore[operator]
    opts.aux.zero_grad()
    aux.backward()
    sync_aux_grads(model, env)
    opts.aux.step()
    return float(aux.detach())
