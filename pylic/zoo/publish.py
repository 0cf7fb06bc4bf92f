"""From a training run folder to a shipped zoo model."""

from __future__ import annotations

import json
from pathlib import Path

from pylic.errors import ModelError
from pylic.models.hyperprior import ScaleHyperprior
from pylic.models.registry import load_checkpoint_state
from pylic.zoo.export import export_model


def publish_run(run: str | Path, name: str, description: str = "", extra: dict | None = None) -> Path:
    run = Path(run)
    cfg_path = run / "config.json"
    if not cfg_path.is_file():
        raise ModelError(f"{run} is not a training run (no config.json)")
    cfg = json.loads(cfg_path.read_text())
    state = load_checkpoint_state(run / "checkpoint.pt")
    model = ScaleHyperprior.from_state_dict(state, cfg.get("activation", "gdn"))
    log = run / "log.jsonl"
    last = json.loads(log.read_text().splitlines()[-1]) if log.is_file() and log.read_text().strip() else {}
    recipe = {"train": cfg, "final_train_stats": last, **(extra or {})}
    return export_model(model, name, float(cfg["lmbda"]), recipe, description)
