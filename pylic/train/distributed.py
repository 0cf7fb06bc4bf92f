"""DistributedDataParallel for pylic's training loops, launched by `torchrun` (gloo on CPU, nccl on GPU).

What every loop does with it: `init_distributed()` reads torchrun's RANK/WORLD_SIZE (a plain `python`
run is world size 1 and nothing changes); the model is wrapped by `wrap_ddp` so gradients are averaged
across ranks during backward; each rank samples different crops (`rank_seed`); only rank 0 writes
checkpoints, logs and progress bars; logged statistics are averaged across ranks with `all_mean`.

CompressAI detail: the EntropyBottleneck's `quantiles` get gradients only from the separate auxiliary
loss, never from the main loss, so DDP is told to ignore them (otherwise it waits for their gradients
and fails on the next step) and `sync_aux_grads` averages their gradients by an explicit all-reduce.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

AUX_PARAMS = ("entropy_bottleneck.quantiles",)


@dataclass(frozen=True)
class DistEnv:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def all_mean(self, values: torch.Tensor) -> torch.Tensor:
        """The element-wise mean of `values` over all ranks (a no-op for one process)."""
        if not self.enabled:
            return values
        out = values.detach().clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out / self.world_size

    def gather(self, obj: object) -> list:
        """Every rank's `obj`, in rank order (picklable objects of trusted code, for consistency checks)."""
        if not self.enabled:
            return [obj]
        out: list = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()


def init_distributed(device: str = "cpu") -> DistEnv:
    """Join the process group torchrun set up (env:// rendezvous); world size 1 without torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistEnv()
    env = DistEnv(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend=backend)
    return env


def shutdown(env: DistEnv) -> None:
    if env.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def device_for(env: DistEnv, device: str) -> torch.device:
    """On GPUs each rank takes the card with its local rank; cuDNN then picks its fastest convolutions once
    (training crops have one fixed size)."""
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    if device.startswith("cuda") and env.enabled:
        return torch.device("cuda", env.local_rank)
    return torch.device(device)


def rank_seed(seed: int, rank: int, step: int) -> int:
    """A data seed that differs per rank and per resume point, and is reproducible from (seed, rank, step)."""
    return int(np.random.SeedSequence([seed, rank, step]).generate_state(1)[0])


def wrap_ddp(model: nn.Module, env: DistEnv) -> nn.Module:
    """DDP around `model` (it broadcasts rank 0's weights now and averages gradients in every backward);
    the model itself is returned unchanged for a single process."""
    if not env.enabled:
        return model
    ignore = [n for n, _ in model.named_parameters() if n in AUX_PARAMS]
    DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, ignore)
    # No buffer changes during training (no BatchNorm), so there is nothing to broadcast each step
    # (torch >= 2.10 spells this `forward_sync_buffers`, older versions `broadcast_buffers`).
    params = inspect.signature(DistributedDataParallel.__init__).parameters
    no_sync = {"forward_sync_buffers": False} if "forward_sync_buffers" in params else {"broadcast_buffers": False}
    return DistributedDataParallel(model, **no_sync)


def sync_aux_grads(model: nn.Module, env: DistEnv) -> None:
    """Average the auxiliary (quantile) gradients that DDP ignores, so the ranks stay identical."""
    if not env.enabled:
        return
    for name, p in model.named_parameters():
        if name in AUX_PARAMS and p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= env.world_size
