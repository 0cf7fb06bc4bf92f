"""Atomic checkpoints: an interrupted run never leaves a half-written file behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pylic.imageio import atomic_write


def atomic_save(obj: Any, path: str | Path) -> None:
    atomic_write(path, lambda f: torch.save(obj, f))


def load(path: str | Path) -> dict:
    """Checkpoints hold only tensors, numbers, strings and dicts, so weights_only loading suffices."""
    return torch.load(Path(path), map_location="cpu", weights_only=True)


CDF_BUFFERS = ("_quantized_cdf", "_offset", "_cdf_length")


def fit_cdf_buffers(model: torch.nn.Module, state_dict: dict) -> None:
    """Give the model's entropy-coder tables the checkpoint's shapes. `update()` rebuilds them at a run's end,
    so their length changes as the model trains; CompressAI resizes only empty ones, and a run started from
    `--init` weights already holds that model's tables."""
    buffers = dict(model.named_buffers())
    for key, value in state_dict.items():
        own = buffers.get(key)
        if own is not None and key.rsplit(".", 1)[-1] in CDF_BUFFERS and own.shape != value.shape:
            own.resize_(value.shape)


def restore(path: str | Path, model: torch.nn.Module, main_opt: torch.optim.Optimizer,
            aux_opt: torch.optim.Optimizer) -> dict:
    """Resume a run: load weights and both optimizers from `path` if it exists; returns the checkpoint
    (empty when there is none), whose "step" is the number of completed steps."""
    path = Path(path)
    if not path.exists():
        return {}
    state = load(path)
    fit_cdf_buffers(model, state["state_dict"])
    model.load_state_dict(state["state_dict"])
    main_opt.load_state_dict(state["optimizer"])
    aux_opt.load_state_dict(state["aux_optimizer"])
    return state
