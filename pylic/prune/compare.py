"""Criteria side by side: the same cut of one model by each importance criterion, RD measured before any
fine-tuning, with the cut's parameters, MACs and DPU cycles. What `invoke prune-criteria` prints."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import torch
from tqdm import tqdm

from pylic.imageio import write_file
from pylic.prune.criteria import CRITERIA
from pylic.prune.evaluate import load_eval_images, rd_metrics
from pylic.prune.iterative import HD, complexity, prune_once, widths
from pylic.prune.structure import prunable_sites
from pylic.train.data import DEFAULT_TRAIN_DIR, CropSampler
from pylic.train.starting_point import load_start


@dataclass
class CriteriaConfig:
    model: str = "pylic-hp-v2-q2"
    checkpoint: str | None = None
    ratio: float = 0.1  # of the original width, one cut
    granularity: int = 1
    criteria: tuple[str, ...] = CRITERIA
    random_seeds: int = 3  # `random` is averaged over this many seeds (each also reported)
    eval_data: str = str(DEFAULT_TRAIN_DIR.parent / "kodak")
    eval_limit: int = 4
    eval_crop: int = 256
    calib_data: str = str(DEFAULT_TRAIN_DIR)
    calib: int = 8  # calibration crops for data-driven criteria (training photographs, not the eval set)
    calib_crop: int = 128
    include_hyper: bool = False
    seed: int = 0
    out: str = "out/prune_criteria.json"


def compare_criteria(cfg: CriteriaConfig, progress: bool = True) -> dict:
    """One cut per criterion (and per random seed); rows of RD (entropy bpp, PSNR) and complexity at 720p."""
    torch.manual_seed(cfg.seed)
    model, lmbda = load_start(cfg.model, cfg.checkpoint)
    images = load_eval_images(cfg.eval_data, cfg.eval_limit, cfg.eval_crop)
    calib = CropSampler(cfg.calib_data, crop=cfg.calib_crop, seed=cfg.seed + 20_000).batch(cfg.calib)
    original = widths(model, prunable_sites(cfg.include_hyper))
    rows = [{"criterion": "none", "widths": original, "rd": rd_metrics(model, images, lmbda),
             **complexity(model, HD)}]
    runs = [(c, s) for c in cfg.criteria for s in (range(cfg.random_seeds) if c == "random" else (cfg.seed,))]
    for crit, seed in tqdm(runs, desc="criteria", disable=not progress):
        pruned, _ = prune_once(model, original, cfg.ratio, 1, cfg.include_hyper, cfg.granularity, crit, calib, seed)
        rows.append({"criterion": crit, "seed": seed, "widths": widths(pruned, prunable_sites(cfg.include_hyper)),
                     "rd": rd_metrics(pruned, images, lmbda), **complexity(pruned, HD)})
    rep = {"config": asdict(cfg), "lmbda": lmbda, "rows": rows}
    write_file(cfg.out, json.dumps(rep, indent=2) + "\n")
    return rep


def criteria_table(rep: dict) -> str:
    """Markdown: one line per cut, RD before fine-tuning and complexity relative to the unpruned model."""
    base = rep["rows"][0]
    lines = ["| criterion | widths | bpp | PSNR (dB) | MACs 720p (G) | DPU cycles 720p (M) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rep["rows"]:
        name = r["criterion"] + (f" (seed {r['seed']})" if r["criterion"] == "random" else "")
        w = sorted(set(r["widths"].values()))
        lines.append(f"| {name} | {'/'.join(map(str, w))} | {r['rd']['bpp']:.4f} | {r['rd']['psnr']:.2f} | "
                     f"{r['macs']['total'] / 1e9:.2f} | {r['dpu_cycles']['total'] / 1e6:.1f} |")
    rnd = [r["rd"]["psnr"] for r in rep["rows"] if r["criterion"] == "random"]
    if rnd:
        lines.append(f"\nrandom, mean of {len(rnd)} seeds: {sum(rnd) / len(rnd):.2f} dB; unpruned "
                     f"{base['rd']['psnr']:.2f} dB at {base['rd']['bpp']:.4f} bpp")
    return "\n".join(lines)
