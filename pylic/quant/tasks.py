"""`invoke quantize`: PTQ (calibrate only) or QAT (calibrate, then fine-tune with fake quantization).

Writes `<out>/quant_plan.json` (every fix position), `<out>/model.pt` (the float weights to export with the
plan: unchanged for PTQ, fine-tuned for QAT), `<out>/summary.json` and, for QAT, `<out>/qat_log.jsonl` (one line
per step); `invoke export` turns the folder into a deploy package.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from pylic.imageio import write_file
from pylic.errors import ModelError
from pylic.models.hyperprior import ScaleHyperprior
from pylic.quant.calibrate import calibrate, calibration_patches
from pylic.quant.plan import QuantConfig, QuantPlan
from pylic.quant.rounding import QuantError
from pylic.train.checkpoint import atomic_save
from pylic.train.data import DEFAULT_TRAIN_DIR

PLAN, MODEL, SUMMARY, LOG = "quant_plan.json", "model.pt", "summary.json", "qat_log.jsonl"


def _lambda_of(model: str | None, checkpoint: str | None) -> float | None:
    """The RD trade-off the model was trained for: its registry spec or its training checkpoint's config."""
    if checkpoint is not None:
        try:
            obj = torch.load(checkpoint, map_location="cpu", weights_only=True)
        except Exception:  # load_model reports unreadable files with a ModelError
            return None
        cfg = obj.get("config") if isinstance(obj, dict) else None
        return float(cfg["lmbda"]) if isinstance(cfg, dict) and "lmbda" in cfg else None
    from pylic.models.registry import DEFAULT_MODEL, get_spec

    return get_spec(model or DEFAULT_MODEL).lmbda


def run_quantize(out: str, model: str | None = None, checkpoint: str | None = None, mode: str = "ptq",
                 data: str | Path = DEFAULT_TRAIN_DIR, calib: int = 32, steps: int = 1000, lmbda: float | None = None,
                 precision: str = "mixed", batch: int = 8, crop: int = 128, lr: float = 5e-5, seed: int = 0,
                 threads: int = 0, method: str = "minmax", progress: bool = True,
                 sigma_position: int | None = None, sigma_calibration: str = "minmax", sigma_table: str = "model",
                 pixels_in: str = "unsigned", pixels_out: str = "unsigned", weights: str = "minmax") -> dict:
    """Quantize a registry model or checkpoint; returns the summary written to `<out>/summary.json`.
    `threads` sets torch's CPU threads (0: torch's default; 1 is much faster on a busy machine)."""
    from pylic.models.registry import load_model

    if threads:
        torch.set_num_threads(threads)
    if mode not in ("ptq", "qat"):
        raise QuantError(f"mode must be 'ptq' or 'qat', not {mode!r}")
    if mode == "qat" and "centred" in (pixels_in, pixels_out):
        raise QuantError("centred pixels are PTQ only: QAT's fake quantization simulates unsigned pixels")
    config = QuantConfig(precision=precision, method=method, weights=weights,  # type: ignore[arg-type]
                         sigma_position=sigma_position,
                         sigma_calibration=sigma_calibration, sigma_table=sigma_table,  # type: ignore[arg-type]
                         pixels_in=pixels_in, pixels_out=pixels_out)  # type: ignore[arg-type]
    t0 = time.time()
    float_model: ScaleHyperprior = load_model(model, checkpoint)
    patches = calibration_patches(data, count=calib)
    plan = calibrate(float_model, patches, config)
    t_cal = time.time() - t0
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result = float_model
    lam = lmbda if lmbda is not None else _lambda_of(model, checkpoint)
    if mode == "qat":
        from pylic.quant.qat import qat
        from pylic.train.data import CropSampler

        if lam is None:
            raise ModelError("cannot tell which lambda the model was trained for: pass --lmbda")
        sampler = CropSampler(data, crop=crop, seed=seed)
        with (folder / LOG).open("w") as log:
            def record(r: dict) -> None:
                log.write(json.dumps({k: round(float(v), 6) for k, v in r.items()}) + "\n")
                log.flush()

            result = qat(float_model, plan, sampler.batch, steps, lam, lr=lr, batch=batch, seed=seed,
                         progress=progress, log=record)
    plan.save(folder / PLAN)
    atomic_save({"state_dict": result.state_dict(), "config": {"activation": result.cfg.activation, "mode": mode}},
                folder / MODEL)
    summary = {"mode": mode, "precision": precision, "method": method, "weights": weights,
               "source": model or checkpoint,
               "lmbda": lam,
               "calibration_patches": int(len(patches)), "calibration_s": round(t_cal, 2),
               "total_s": round(time.time() - t0, 2),
               "steps": steps if mode == "qat" else 0, "notes": list(plan.notes),
               "shifts": {k: [v.shift_cut, v.shift_bias] for k, v in plan.layers.items()}}
    write_file(folder / SUMMARY, json.dumps(summary, indent=1))
    return summary


def load_quantized(folder: str | Path) -> tuple[ScaleHyperprior, QuantPlan]:
    """The float model and plan that `run_quantize` wrote."""
    from pylic.models.registry import load_checkpoint_state

    folder = Path(folder)
    plan = QuantPlan.load(folder / PLAN)
    try:
        meta = torch.load(folder / MODEL, map_location="cpu", weights_only=True).get("config", {})
    except Exception as exc:
        raise ModelError(f"cannot read {folder / MODEL}: {exc}") from None
    model = ScaleHyperprior.from_state_dict(load_checkpoint_state(folder / MODEL), meta.get("activation", "gdn"))
    model.eval()
    model.update(force=True)
    return model, plan
