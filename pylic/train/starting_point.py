"""Load the model a later stage starts from (distillation teacher, pruning input) together with its λ."""

from __future__ import annotations

import json
from pathlib import Path

from pylic.errors import ModelError
from pylic.models.hyperprior import ScaleHyperprior
from pylic.models.registry import get_spec, load_model


def resolve_lmbda(lmbda: float | None, name: str | None, checkpoint: str | Path | None) -> float:
    """λ in order of precedence: given explicitly, the registry entry's, or the `config.json` of the
    training run the checkpoint sits in. A stage must optimise the λ its input was trained for."""
    if lmbda:
        return float(lmbda)
    if name:
        return float(get_spec(name).lmbda)
    if checkpoint is not None:
        cfg = Path(checkpoint).parent / "config.json"
        if cfg.is_file():
            value = json.loads(cfg.read_text()).get("lmbda")
            if value:
                return float(value)
    raise ModelError("cannot tell which lambda the model was trained for: pass --lmbda "
                     "(or a registry --model name, or a checkpoint inside a run folder with config.json)")


def load_start(name: str | None, checkpoint: str | Path | None,
               lmbda: float | None = None) -> tuple[ScaleHyperprior, float]:
    """(model in eval mode with CDF tables, λ). Registry name, checkpoint path, or both."""
    if not name and checkpoint is None:
        raise ModelError("give a registry model name or a checkpoint path")
    model = load_model(name, checkpoint)
    return model, resolve_lmbda(lmbda, name, checkpoint)
