"""`invoke prune`: load a model, prune it iteratively, save a resumable run folder and a JSON report.

The run folder holds `checkpoint.pt` (the latest pruned model and the report so far, resumed
automatically), `config.json` (so `invoke export-model --run` can publish it) and `report.json`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from pylic.imageio import atomic_write
from pylic.models.hyperprior import ScaleHyperprior
from pylic.prune.evaluate import load_eval_images, rd_metrics
from pylic.prune.iterative import PruneSchedule, PruneState, complexity, iterative_prune, widths
from pylic.prune.structure import prunable_sites
from pylic.train import checkpoint as ckpt
from pylic.train.data import DEFAULT_TRAIN_DIR, CropSampler
from pylic.train.starting_point import load_start

DEFAULT_EVAL_DIR = DEFAULT_TRAIN_DIR.parent / "kodak"


@dataclass
class PruneConfig:
    out: str
    model: str | None = None  # registry name
    checkpoint: str | None = None  # or weights / training checkpoint
    lmbda: float = 0.0  # 0: the model's own (registry or run config.json)
    data: str = str(DEFAULT_TRAIN_DIR)
    eval_data: str = str(DEFAULT_EVAL_DIR)
    eval_limit: int = 4
    eval_crop: int = 256
    crop: int = 128
    heldout: int = 8  # images in the held-out batch (training crops with their own seed)
    seed: int = 0
    threads: int = 0


def _write_json(path: Path, obj: dict) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2).encode() + b"\n"))


def _report(cfg: PruneConfig, sched: PruneSchedule, lmbda: float, original: dict, state: PruneState,
            elapsed: float) -> dict:
    rep = {"config": asdict(cfg), "schedule": asdict(sched), "lmbda": lmbda, "original": original,
           "iterations": state.iterations, "seconds": round(elapsed, 1)}
    if state.iterations:
        last = state.iterations[-1]
        p0, m0 = original["params"], original["macs"]["total"]
        p1, m1 = last["after_prune"]["params"], last["after_prune"]["macs"]["total"]
        c0, c1 = original["dpu_cycles"]["total"], last["after_prune"]["dpu_cycles"]["total"]
        rep["final"] = {"widths": last["widths"], "params": p1, "macs": last["after_prune"]["macs"],
                        "dpu_cycles": last["after_prune"]["dpu_cycles"],
                        "params_reduction": 1 - p1 / p0, "macs_reduction": 1 - m1 / m0,
                        "dpu_cycles_reduction": 1 - c1 / c0,
                        "rd": last["after_finetune"]["rd"], "rd_original": original["rd"]}
    return rep


def run_prune(cfg: PruneConfig, sched: PruneSchedule | None = None, progress: bool = True) -> dict:
    """Prune (or resume pruning) and return the report that is also written to `<out>/report.json`."""
    sched = sched or PruneSchedule()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    model, lmbda = load_start(cfg.model, cfg.checkpoint, cfg.lmbda or None)
    eval_images = load_eval_images(cfg.eval_data, cfg.eval_limit, cfg.eval_crop)
    heldout = CropSampler(cfg.data, crop=cfg.crop, seed=cfg.seed + 10_000).batch(cfg.heldout)
    sites = prunable_sites(sched.include_hyper)
    original = {"widths": widths(model, sites), "config": model.cfg.to_dict(),
                "rd": rd_metrics(model, eval_images, lmbda), **complexity(model, sched.macs_hw)}
    state = PruneState(model=model, original_widths=original["widths"])
    ck_path = out / "checkpoint.pt"
    if ck_path.exists():
        saved = ckpt.load(ck_path)
        state = PruneState(ScaleHyperprior.from_state_dict(saved["state_dict"], model.cfg.activation).eval(),
                           saved["original_widths"], json.loads(saved["iterations"]))
        state.model.update(force=True)
    _write_json(out / "config.json", {"lmbda": lmbda, "activation": model.cfg.activation, "prune": asdict(cfg),
                                      "schedule": asdict(sched)})
    t0 = time.time()

    def save(s: PruneState) -> None:
        ckpt.atomic_save({"state_dict": s.model.state_dict(), "original_widths": s.original_widths,
                          "iterations": json.dumps(s.iterations), "step": len(s.iterations)}, ck_path)
        _write_json(out / "report.json", _report(cfg, sched, lmbda, original, s, time.time() - t0))

    def sampler_for(it: int) -> CropSampler:
        return CropSampler(cfg.data, crop=cfg.crop, seed=cfg.seed + it)

    state = iterative_prune(state, sched, lmbda, sampler_for, heldout, eval_images, progress, on_iteration=save)
    rep = _report(cfg, sched, lmbda, original, state, time.time() - t0)
    _write_json(out / "report.json", rep)
    return rep
