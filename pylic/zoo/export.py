"""Write a trained model into the zoo: fp16 weights + CDF tables (.pt) and its recipe (.json)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from pylic.imageio import atomic_write
from pylic.models.hyperprior import ScaleHyperprior
from pylic.models.registry import WEIGHTS_DIR, load_checkpoint_state
from pylic.runtime.float_backend import state_hash


def shrink(model: ScaleHyperprior) -> ScaleHyperprior:
    """Round float weights to fp16 (halves the file) and rebuild the CDF tables from the rounded
    weights, so the stored tables are exactly those the loaded model would build."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    model.eval()
    model.update(force=True)
    return model


def export_model(model: ScaleHyperprior, name: str, lmbda: float, recipe: dict, description: str = "",
                 out_dir: Path = WEIGHTS_DIR) -> Path:
    model = shrink(model)
    sd = {k: (v.half() if v.is_floating_point() and not k.endswith("scale_table") else v)
          for k, v in model.state_dict().items()}
    weights = out_dir / f"{name}.pt"
    buf = io.BytesIO()
    torch.save(sd, buf)
    atomic_write(weights, lambda f: f.write(buf.getvalue()))
    reloaded = ScaleHyperprior.from_state_dict(load_checkpoint_state(weights), model.cfg.activation).eval()
    meta = {
        "name": name,
        "weights": weights.name,
        "config": model.cfg.to_dict(),
        "lmbda": lmbda,
        "hash": state_hash(reloaded).hex(),
        "description": description,
        "recipe": recipe,
    }
    atomic_write(out_dir / f"{name}.json", lambda f: f.write(json.dumps(meta, indent=2).encode() + b"\n"))
    return weights
