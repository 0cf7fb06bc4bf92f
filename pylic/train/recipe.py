"""The hardware student recipe, end to end: cut the teacher's g_a/g_s to the first width in whole DPU channel
groups (activation criterion, no fine-tuning), distil the cut student from the teacher (latent + perceptual + RD,
the plateau schedule), repeat for each further width (48 -> 32 cuts the distilled 48), then quantize (QAT or
PTQ with the measured precision options), export the deploy package and code images with it on the bit-exact
emulator. Every stage is the project's own (`run_prune`, `distill`, `run_quantize`, `run_export`); this chains
them into one run folder with one report.

The shipped `pylic-student-v2-*` models are this recipe with the step counts of `docs/student.md`; the defaults'
tiny step counts only prove the chain runs (minutes on a CPU).
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
    widths: tuple[int, ...] = (48,)  # each a cut of the one before (the teacher first), then distilled
    data: str = str(DEFAULT_TRAIN_DIR)
    eval_data: str = str(DEFAULT_TRAIN_DIR.parent / "kodak")
    eval_limit: int = 1
    distill_steps: int | tuple[int, ...] = 20  # one count for every width, or one per width
    batch: int = 2
    crop: int = 64
    lr: float = 3e-4
    late_lr: float = 1e-4
    decay_every: int = 300
    plateau_window: int = 100  # the late phase starts on a plateau or after 60% of the steps
    perceptual: str = "random"  # offline-safe stand-in for the ImageNet ResNet-50 (docs/distill_prune.md)
    granularity: int = 16
    criterion: str = "activation"
    quant: str = "ptq"  # ptq | qat
    qat_steps: int = 1000
    calib: int = 8
    sigma_calibration: str = "rate"  # the precision options measured best in docs/quantization.md §10
    sigma_table: str = "matched"
    weight_positions: str = "mse"  # least-error weight positions (docs/quantization.md §10)
    seed: int = 0
    threads: int = 0


def _write(path: Path, obj: dict) -> None:
    write_file(path, json.dumps(obj, indent=1) + "\n")


def _cost(model) -> dict:
    from pylic.models.complexity import model_complexity

    c = model_complexity(model)
    return {"widths": list(model.cfg.ga), "params": c["params"], "macs_720p": c["macs"]["total"],
            "dpu_cycles_720p": c["dpu_cycles"]["total"]}


def check_widths(r: StudentRecipe, teacher_width: int) -> None:
    """One clear error before any work: every width a whole number of channel groups, none wider than the last."""
    prev = teacher_width
    for w in r.widths:
        if w % r.granularity or not 0 < w <= prev:
            raise ModelError(f"student widths {list(r.widths)}: each must be a multiple of {r.granularity} and "
                             f"no wider than the one before (teacher {teacher_width})")
        prev = w
    if isinstance(r.distill_steps, tuple) and len(r.distill_steps) != len(r.widths):
        raise ModelError(f"distill steps {list(r.distill_steps)}: give one count, or one per width {list(r.widths)}")
    if r.quant not in ("ptq", "qat"):
        raise ModelError(f"quant must be ptq or qat, not {r.quant!r}")


def run_recipe(r: StudentRecipe, progress: bool = True) -> dict:
    """Run every stage into `<out>/{cut<N>,kd<N>,quant,package}` and return (and write) `<out>/recipe.json`."""
    from pylic.codec import Codec
    from pylic.deploy.tasks import run_export
    from pylic.eval.images import load_folder
    from pylic.eval.rd import evaluate_codec, summary
    from pylic.prune import PruneConfig, PruneSchedule, run_prune
    from pylic.quant.tasks import run_quantize
    from pylic.runtime.emulator import EmulatorBackend
    from pylic.train.distill import DistillConfig, distill
    from pylic.train.starting_point import load_start

    teacher, lmbda = load_start(r.teacher, r.teacher_checkpoint)
    check_widths(r, max(teacher.cfg.ga))
    out, t0, times = Path(r.out), time.time(), {}
    out.mkdir(parents=True, exist_ok=True)
    stages: list[dict] = []
    source = {"model": r.teacher, "checkpoint": r.teacher_checkpoint}
    width = max(teacher.cfg.ga)
    steps = r.distill_steps if isinstance(r.distill_steps, tuple) else (r.distill_steps,) * len(r.widths)
    for w, n_steps in zip(r.widths, steps):
        cut = run_prune(
            PruneConfig(out=str(out / f"cut{w}"), lmbda=lmbda, data=r.data, eval_data=r.eval_data,
                        eval_limit=r.eval_limit, crop=r.crop, heldout=r.batch, seed=r.seed, threads=r.threads,
                        **source),
            PruneSchedule(ratio=1 - w / width, iterations=1, granularity=r.granularity, criterion=r.criterion,
                          finetune_steps=0, batch=r.batch), progress=progress)
        student = distill(DistillConfig(
            out=str(out / f"kd{w}"), teacher=r.teacher, teacher_checkpoint=r.teacher_checkpoint, data=r.data, N=w,
            init=str(out / f"cut{w}" / "checkpoint.pt"), steps=n_steps, batch=r.batch, crop=r.crop,
            lr=r.lr, late_lr=r.late_lr, decay_every=r.decay_every, plateau_window=r.plateau_window,
            max_early_steps=max(1, n_steps * 6 // 10), perceptual=r.perceptual,
            ckpt_every=n_steps, seed=r.seed, threads=r.threads), progress=progress)
        stages.append({"width": w, "cut": cut.get("final"), "distilled": _cost(student)})
        times[f"width{w}_s"] = time.time() - t0 - sum(times.values())
        source, width = {"model": None, "checkpoint": str(out / f"kd{w}" / "checkpoint.pt")}, w
    quant = run_quantize(str(out / "quant"), checkpoint=source["checkpoint"], mode=r.quant, data=r.data,
                         calib=r.calib, steps=r.qat_steps, lmbda=lmbda, batch=r.batch, crop=r.crop, seed=r.seed,
                         threads=r.threads, method="mse", sigma_calibration=r.sigma_calibration,
                         sigma_table=r.sigma_table, weights=r.weight_positions,
                         pixels_out="centred" if r.quant == "ptq" else "unsigned",
                         progress=progress)
    package = run_export(out / "quant", out / "package")
    times["quantize_export_s"] = time.time() - t0 - sum(times.values())
    results = evaluate_codec(Codec(EmulatorBackend(package)), load_folder(r.eval_data, r.eval_limit),
                             check_determinism=True, progress=progress)
    times["evaluate_s"] = time.time() - t0 - sum(times.values())
    rep = {"recipe": asdict(r), "lmbda": lmbda, "teacher": _cost(teacher), "stages": stages,
           "student": stages[-1]["distilled"], "quant_notes": quant["notes"], "package": str(package),
           "emulator": {**summary(results), "deterministic": all(x.deterministic for x in results)},
           "seconds": {k: round(v, 1) for k, v in times.items()}}
    _write(out / "recipe.json", rep)
    return rep
