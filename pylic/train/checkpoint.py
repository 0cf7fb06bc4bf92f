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


def restore(path: str | Path, model: torch.nn.Module, main_opt: torch.optim.Optimizer,
            aux_opt: torch.optim.Optimizer) -> dict:
    """Resume a run: load weights and both optimizers from `path` if it exists; returns the checkpoint
    (empty when there is none), whose "step" is the number of completed steps."""
    path = Path(path)
    if not path.exists():
        return {}
    state = load(path)
    model.load_state_dict(state["state_dict"])
    main_opt.load_state_dict(state["optimizer"])
    aux_opt.load_state_dict(state["aux_optimizer"])
    return state
