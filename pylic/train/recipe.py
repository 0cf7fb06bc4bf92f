"""A 16-aligned hardware student end to end, sized for a CPU: distil from a teacher, prune in whole DPU channel
groups with the activation criterion, PTQ with the measured precision options, export the deploy package and
code images with it on the bit-exact emulator. Every stage is the project's own (`distill`, `run_prune`,
`run_quantize`, `run_export`); this only chains them into one run folder with one report.

With the defaults' tiny step counts it proves the chain runs (minutes on a CPU); it does not make a good
codec — the shipped students need the step counts of `docs/student.md` (or a GPU).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pylic.errors import ModelError
from pylic.imageio import write_file
from pylic.train.data import DEFAULT_TRAIN_DIR


@dataclass
class StudentRecipe:
    out: str
    teacher: str | None = "pylic-hp-v2-q2"
    teacher_checkpoint: str | None = None
    N: int = 48  # distilled width; a multiple of `granularity`
    data: str = str(DEFAULT_TRAIN_DIR)
    eval_data: str = str(DEFAULT_TRAIN_DIR.parent / "kodak")
    eval_limit: int = 1
    distill_steps: int = 20
    batch: int = 2
    crop: int = 64
    perceptual: str = "random"  # offline-safe stand-in for the ImageNet ResNet-50 (docs/distill_prune.md)
    prune_ratio: float = 1 / 3  # of the distilled width, one cut: 48 -> 32, 32 -> 16 (whole 16-channel groups)
    prune_iterations: int = 1
    finetune_steps: int = 5
    granularity: int = 16
    criterion: str = "activation"
    calib: int = 8
    sigma_calibration: str = "rate"  # the precision options measured best in docs/quantization.md §10
    sigma_table: str = "matched"
    pixels_out: str = "centred"
    seed: int = 0
    threads: int = 0


def _write(path: Path, obj: dict) -> None:
    write_file(path, json.dumps(obj, indent=1) + "\n")


def run_recipe(r: StudentRecipe, progress: bool = True) -> dict:
    """Run every stage into `<out>/{distill,prune,quant,package}` and return (and write) `<out>/recipe.json`."""
    from pylic.deploy.tasks import run_export
    from pylic.eval.images import load_folder
    from pylic.eval.rd import evaluate_codec, summary
    from pylic.models.complexity import count_dpu_cycles, count_params
    from pylic.prune import PruneConfig, PruneSchedule, run_prune
    from pylic.quant.tasks import run_quantize
    from pylic.runtime.emulator import EmulatorBackend
    from pylic.codec import Codec
    from pylic.train.distill import DistillConfig, distill
    from pylic.train.starting_point import load_start

    if r.N % r.granularity:
        raise ModelError(f"student width N={r.N} is not a multiple of the pruning granularity {r.granularity}")
    out, t0, times = Path(r.out), time.time(), {}
    out.mkdir(parents=True, exist_ok=True)
    teacher, lmbda = load_start(r.teacher, r.teacher_checkpoint)
    student = distill(DistillConfig(
        out=str(out / "distill"), teacher=r.teacher, teacher_checkpoint=r.teacher_checkpoint, data=r.data, N=r.N,
        steps=r.distill_steps, batch=r.batch, crop=r.crop, perceptual=r.perceptual,
        max_early_steps=max(1, r.distill_steps // 2), ckpt_every=r.distill_steps, seed=r.seed, threads=r.threads),
        progress=progress)
    times["distill_s"] = time.time() - t0
    prune = run_prune(
        PruneConfig(out=str(out / "prune"), checkpoint=str(out / "distill" / "checkpoint.pt"), lmbda=lmbda,
                    data=r.data, eval_data=r.eval_data, eval_limit=r.eval_limit, crop=r.crop, heldout=r.batch,
                    seed=r.seed, threads=r.threads),
        PruneSchedule(ratio=r.prune_ratio, iterations=r.prune_iterations, granularity=r.granularity,
                      criterion=r.criterion, finetune_steps=r.finetune_steps, batch=r.batch), progress=progress)
    times["prune_s"] = time.time() - t0 - sum(times.values())
    quant = run_quantize(str(out / "quant"), checkpoint=str(out / "prune" / "checkpoint.pt"), mode="ptq",
                         data=r.data, calib=r.calib, lmbda=lmbda, seed=r.seed, threads=r.threads,
                         sigma_calibration=r.sigma_calibration, sigma_table=r.sigma_table,
                         pixels_out=r.pixels_out, progress=progress)
    package = run_export(out / "quant", out / "package")
    times["quantize_export_s"] = time.time() - t0 - sum(times.values())
    results = evaluate_codec(Codec(EmulatorBackend(package)), load_folder(r.eval_data, r.eval_limit),
                             check_determinism=True, progress=progress)
    times["evaluate_s"] = time.time() - t0 - sum(times.values())
    pruned, _ = load_start(None, out / "prune" / "checkpoint.pt", lmbda)

    def cost(m) -> dict:
        c = count_dpu_cycles(m, 720, 1280)
        return {"widths": list(m.cfg.ga), "params": count_params(m), "macs_720p": sum(m.macs(720, 1280).values()),
                "dpu_cycles_720p": sum(c.values())}

    rep = {"recipe": asdict(r), "lmbda": lmbda, "teacher": cost(teacher), "distilled": cost(student),
           "pruned": cost(pruned), "prune_final": prune.get("final"), "quant_notes": quant["notes"],
           "package": str(package), "emulator": {**summary(results),
                                                 "deterministic": all(x.deterministic for x in results)},
           "seconds": {k: round(v, 1) for k, v in times.items()}}
    _write(out / "recipe.json", rep)
    return rep
