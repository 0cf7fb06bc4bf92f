"""invoke tasks: thin wrappers; every task calls one function in `pylic` that tests call directly.

`invoke --list` shows them all; `invoke --help TASK` shows a task's options.
"""

from __future__ import annotations

from invoke import Collection, Exit, task

from pylic.errors import PylicError


def _run(fn, *args, **kwargs):
    """User errors become one line and a non-zero exit, never a traceback."""
    try:
        return fn(*args, **kwargs)
    except PylicError as exc:
        raise Exit(f"error: {exc}", code=2) from None
    except KeyboardInterrupt:
        raise Exit("interrupted", code=130) from None


# --- foundation: codec, training, demo, evaluation, tests --------------------------------------

# (tasks added below)

DEFAULT_DATA = "../shared/data/train"
_DEVICE_HELP = {"device": "cpu or cuda (checkpoints stay loadable on a CPU)",
                "prefetch": "batches cropped ahead in a background thread (0: inline; 2-3 on a GPU)"}


@task(help={
    "out": "run folder (checkpoint.pt, log.jsonl, config.json); an existing checkpoint is resumed",
    "data": "folder of training photographs (default ../shared/data/train)",
    "n": "hidden width N", "m": "latent width M", "lmbda": "rate-distortion trade-off lambda",
    "steps": "total steps", "batch": "batch size", "crop": "random crop size",
    "lr": "initial learning rate (step decay x0.9 every --decay-every steps)", "decay_every": "decay period",
    "activation": "gdn or relu (the paper's ablation)",
    "init": "start from these weights, a file or a registry name (fine-tuning; the widths are theirs, -n/-m are "
            "ignored)",
    "threads": "torch CPU threads (0: default)", "seed": "random seed",
    **_DEVICE_HELP, "nproc": "data-parallel processes (>1 runs torchrun)",
})
def train(c, out="runs/train", data=DEFAULT_DATA, n=64, m=128, lmbda=0.0067, steps=10000, batch=8, crop=128,
          lr=5e-4, decay_every=1000, activation="gdn", init=None, threads=0, seed=0, device="cpu", prefetch=0,
          nproc=1):
    """Train a scale-hyperprior model for rate + lambda*255^2*MSE (resumable, Ctrl-C saves)."""
    from pylic.train.launch import run_training
    from pylic.train.rd import TrainConfig

    cfg = TrainConfig(out=out, data=data, N=n, M=m, lmbda=lmbda, steps=steps, batch=batch, crop=crop, lr=lr,
                      decay_every=decay_every, activation=activation, init=init, threads=threads, seed=seed,
                      device=device, prefetch=prefetch)
    _run(run_training, "rd", cfg, nproc)


@task(help={"run": "training run folder (its checkpoint.pt is exported)", "name": "registry name",
            "description": "one-line description"})
def export_model(c, run, name, description=""):
    """Copy a trained model into the zoo (fp16 weights + CDF tables + recipe JSON)."""
    from pylic.zoo.publish import publish_run

    print(_run(publish_run, run, name, description))


@task(help={"out": "output folder",
            "model": "registry name (float model), shipped package name or package folder (bit-exact emulator); "
                     "default: the shipped hardware-ready student package",
            "overlap": "patch overlap in pixels", "no_csim": "skip the C simulation of the package's GDN kernels"})
def demo(c, out="out/demo", model=None, overlap=0, no_csim=False):
    """Code bundled photographs with the shipped student through the bit-exact emulator; csim its GDN kernels."""
    from pylic.demo import run_demo

    _run(run_demo, out, model, overlap, csim=not no_csim)


@task(iterable=["model", "package"], help={
    "model": "registry name or checkpoint (repeat for an RD curve; default: every shipped pylic-hp-v2 model)",
    "package": "deploy package (shipped name or folder), coded by the bit-exact emulator; repeatable",
    "data": "image folder (default ../shared/data/kodak)", "overlap": "patch overlap in pixels",
    "out": "JSON report path", "limit": "use only the first N images", "no_whole": "skip whole-image coding",
    "size720p": "tile each image to 1280x720 first (the paper's protocol; use --overlap 56)",
})
def evaluate(c, model=None, package=None, data="../shared/data/kodak", overlap=0, out="out/rd_kodak.json", limit=0,
             no_whole=False, size720p=False):
    """RD evaluation: bpp/PSNR per image, tiling cost, BD-rate vs JPEG and JPEG 2000."""
    from pylic.eval.cli import evaluate_folder

    _run(evaluate_folder, [*(model or []), *(package or [])] or None, data, overlap, out, limit or None,
         not no_whole, size720p)


@task(iterable=["curve"], help={
    "curve": "LABEL=REF[,REF...]: one RD curve (refs: registry names or checkpoints, coded by the float model; "
             "shipped package names or package folders, coded by the bit-exact emulator); repeat for each curve",
    "reference": "label of the curve the others are compared with (default: the first)",
    "data": "image folder (default ../shared/data/kodak)", "overlap": "patch overlap in pixels",
    "out": "JSON report path", "limit": "use only the first N images",
    "anchors": "comma-separated classical anchors coded on the same images: jpeg, jpeg2000 (Pillow)",
    "reuse": "an earlier compare report: refs it coded on the same images (same model hash) are not coded again",
})
def compare(c, curve=None, reference="", data="../shared/data/kodak", overlap=0, out="out/compare.json", limit=0,
            anchors="", reuse=""):
    """RD curves of several codecs, BD-rate/BD-PSNR against a reference curve and (bd_matrix in the JSON) against
    every other curve and anchor: the ablations."""
    from pylic.eval.cli import compare_folder

    _run(compare_folder, curve or [], reference, data, overlap, out, limit or None, anchors, reuse)


@task(help={"slow": "also run tests marked slow", "k": "pytest -k expression", "x": "stop at first failure"})
def test(c, slow=False, k="", x=False):
    """Run the test suite (the command CI runs)."""
    import subprocess
    import sys

    args = [sys.executable, "-m", "pytest", "-q"]
    if slow:
        args += ["-m", ""]
    if k:
        args += ["-k", k]
    if x:
        args.append("-x")
    rc = subprocess.call(args)
    if rc:
        raise Exit(code=rc)


@task
def models(c):
    """List the model registry."""
    from pylic.cli import main

    main(["models"])


FOUNDATION_TASKS: list = [train, export_model, demo, evaluate, compare, test, models]

# --- distillation, pruning, data-parallel training (issue 4, items 1, 2, 7) --------------------

_STUDENT_HELP = {
    "out": "run folder (checkpoint.pt, log.jsonl, config.json); an existing checkpoint is resumed",
    "teacher": "teacher registry name (e.g. pylic-hp-q2)",
    "teacher_checkpoint": "or the teacher's weights / training checkpoint",
    "data": "folder of training photographs (default ../shared/data/train)",
    "n": "student hidden width N of g_a/g_s (M and the hyperprior stay the teacher's)",
    "lmbda": "rate-distortion lambda (default: the teacher's)", "steps": "total steps",
    "batch": "batch size per process", "crop": "random crop size",
    "lr": "early-phase learning rate", "late_lr": "late-phase learning rate",
    "decay_every": "x0.9 learning-rate decay period (restarts with each phase)",
    "init": "start the student from these weights (e.g. a train-student run's checkpoint.pt)",
    "plateau_window": "steps between latent-loss plateau checks",
    "plateau_tol": "relative latent-loss improvement per window below which it has plateaued",
    "max_early_steps": "force the early->late switch after this many steps (0: on a plateau only)",
    "nproc": "data-parallel processes (>1 runs torchrun; gloo on CPU, nccl on GPU)",
    "threads": "torch CPU threads per process (0: default)", "seed": "random seed", **_DEVICE_HELP,
    "activation": "student nonlinearity: gdn or relu (default: the teacher's; relu is the GDN-vs-ReLU ablation)",
}
_DISTILL_HELP = {
    **_STUDENT_HELP,
    "terms": "KD terms kept: latent+perceptual (default), latent, perceptual or none (the paper's Fig. 12 ablation)",
    "perceptual": "ResNet-50 of the perceptual term: imagenet (download or cache), random (offline stand-in), none",
    "perceptual_weights": "torchvision resnet50 state dict for the perceptual term (offline)",
}


@task(help=_DISTILL_HELP, auto_shortflags=False)
def distill(c, out="runs/distill", teacher="", teacher_checkpoint="", data=DEFAULT_DATA, n=32, lmbda=0.0,
            steps=2000, batch=8, crop=128, lr=1e-4, late_lr=1e-5, decay_every=250, init="", perceptual="imagenet",
            perceptual_weights="", plateau_window=200, plateau_tol=0.01, max_early_steps=0, nproc=1, threads=0,
            seed=0, device="cpu", prefetch=0, terms="latent+perceptual", activation=""):
    """Distil a smaller student: latent + ResNet-50 perceptual + RD loss, phase switch on a latent plateau."""
    _student_run("distill", **_options(locals()))


def _options(task_locals: dict) -> dict:
    """A task's options (its parameters but the invoke context)."""
    return {k: v for k, v in task_locals.items() if k != "c"}


def _student_run(command: str, n: int, teacher: str, teacher_checkpoint: str, nproc: int, **options) -> None:
    from pylic.train.distill import DistillConfig
    from pylic.train.launch import run_training

    cfg = DistillConfig(N=n, teacher=teacher or None, teacher_checkpoint=teacher_checkpoint or None, **options)
    _run(run_training, command, cfg, nproc)


@task(help=_STUDENT_HELP, auto_shortflags=False)
def train_student(c, out="runs/student", teacher="", teacher_checkpoint="", data=DEFAULT_DATA, n=32, lmbda=0.0,
                  steps=2000, batch=8, crop=128, lr=1e-4, late_lr=1e-5, decay_every=250, init="", plateau_window=200,
                  plateau_tol=0.01, max_early_steps=0, nproc=1, threads=0, seed=0, device="cpu", prefetch=0,
                  activation=""):
    """Train the same student without KD (RD loss only; same init, data, schedule): the ablation baseline."""
    _student_run("student", kd=False, perceptual="none", **_options(locals()))


@task(auto_shortflags=False, help={
    "out": "run folder (checkpoint.pt, config.json, report.json); resumes after the last finished iteration",
    "model": "registry name of the model to prune", "checkpoint": "or its weights / training checkpoint",
    "lmbda": "rate-distortion lambda (default: the model's)", "data": "training photographs for fine-tuning",
    "eval_data": "images for the RD report (default ../shared/data/kodak)",
    "eval_limit": "use the first N eval images", "eval_crop": "centre crop of each eval image (multiple of 64)",
    "ratio": "fraction of the ORIGINAL width cut per iteration", "iterations": "prune-and-fine-tune iterations",
    "finetune_steps": "most fine-tuning steps per iteration (K)",
    "check_every": "steps between held-out RD checks while fine-tuning", "batch": "fine-tuning batch size",
    "crop": "fine-tuning crop size", "lr": "fine-tuning learning rate",
    "include_hyper": "also prune the hidden layers of h_a/h_s",
    "granularity": "kept widths are the nearest multiple of this (16: the B4096's channel parallelism; 1: exact)",
    "criterion": "which filters go: activation (mean |GDN output| x next-layer weight norm), l2 or random",
    "threads": "torch CPU threads (0: default)", "seed": "random seed",
})
def prune(c, out="runs/prune", model="", checkpoint="", lmbda=0.0, data=DEFAULT_DATA,
          eval_data="../shared/data/kodak", eval_limit=4, eval_crop=256, ratio=0.1, iterations=3,
          finetune_steps=500, check_every=25, batch=8, crop=128, lr=1e-4, include_hyper=False, granularity=16,
          criterion="activation", threads=0, seed=0):
    """Iterative channel pruning: 10% of filters per layer in 16-channel groups, fine-tune until RD is back, x3."""
    from pylic.prune import PruneConfig, PruneSchedule, run_prune

    cfg = PruneConfig(out=out, model=model or None, checkpoint=checkpoint or None, lmbda=lmbda, data=data,
                      eval_data=eval_data, eval_limit=eval_limit, eval_crop=eval_crop, crop=crop,
                      threads=threads, seed=seed)
    sched = PruneSchedule(ratio=ratio, iterations=iterations, include_hyper=include_hyper,
                          granularity=granularity, criterion=criterion,
                          finetune_steps=finetune_steps, check_every=check_every, batch=batch, lr=lr)
    rep = _run(run_prune, cfg, sched)
    f = rep.get("final")
    if f:
        print(f"params -{f['params_reduction']:.1%}, MACs at 720p -{f['macs_reduction']:.1%}, "
              f"DPU cycles -{f['dpu_cycles_reduction']:.1%}; "
              f"{f['rd_original']['bpp']:.3f} bpp / {f['rd_original']['psnr']:.2f} dB -> "
              f"{f['rd']['bpp']:.3f} bpp / {f['rd']['psnr']:.2f} dB; report: {out}/report.json")


@task(auto_shortflags=False, help={
    "model": "registry name of the model to cut", "checkpoint": "or its weights / training checkpoint",
    "ratio": "fraction of every hidden width cut (one cut, no fine-tuning)",
    "granularity": "kept widths are the nearest multiple of this (1: exact ratio)",
    "criteria": "comma-separated criteria to compare (activation,l2,random)",
    "random_seeds": "cuts by the random criterion (each reported, and their mean)",
    "eval_data": "images for RD", "eval_limit": "first N eval images", "eval_crop": "centre crop (multiple of 64)",
    "calib": "training crops the data-driven criterion measures", "out": "JSON report",
})
def prune_criteria(c, model="pylic-hp-v2-q2", checkpoint="", ratio=0.1, granularity=1,
                   criteria="activation,l2,random",
                   random_seeds=3, eval_data="../shared/data/kodak", eval_limit=4, eval_crop=256, calib=8,
                   out="out/prune_criteria.json"):
    """One cut of a model by each pruning criterion: RD before fine-tuning, params, MACs and DPU cycles."""
    from pylic.prune.compare import CriteriaConfig, compare_criteria, criteria_table

    cfg = CriteriaConfig(model=model, checkpoint=checkpoint or None, ratio=ratio, granularity=granularity,
                         criteria=tuple(x.strip() for x in criteria.split(",") if x.strip()),
                         random_seeds=random_seeds, eval_data=eval_data, eval_limit=eval_limit,
                         eval_crop=eval_crop, calib=calib, out=out)
    print(criteria_table(_run(compare_criteria, cfg)))


@task(auto_shortflags=False, help={
    "out": "run folder (cut<N>/, kd<N>/, quant/, package/, recipe.json)",
    "teacher": "registry name of the teacher (an N=64 pylic-hp-v2-qK)",
    "widths": "comma-separated student widths, each a 16-channel-group cut of the one before, then distilled "
              "(48: one student; 48,32: the N=32 student cut from the distilled 48)",
    "distill_steps": "KD steps: one count for every width, or comma-separated, one per width", "batch": "KD batch size", "crop": "KD crop size",
    "quant": "ptq (calibration only) or qat", "qat_steps": "QAT steps", "calib": "calibration patches",
    "eval_limit": "Kodak images coded on the emulator", "threads": "torch CPU threads (0: default)",
})
def student_recipe(c, out="runs/student-recipe", teacher="pylic-hp-v2-q2", widths="48", distill_steps="20", batch=2,
                   crop=64, quant="ptq", qat_steps=1000, calib=8, eval_limit=1, threads=0):
    """A hardware student end to end: 16-aligned cut of the teacher, KD, [cut, KD]..., PTQ/QAT, package, emulator."""
    from pylic.train.recipe import StudentRecipe, run_recipe

    ws = tuple(int(w) for w in widths.split(",") if w.strip())
    steps = tuple(int(n) for n in str(distill_steps).split(",") if n.strip())
    rep = _run(run_recipe, StudentRecipe(out=out, teacher=teacher, widths=ws,
                                         distill_steps=steps[0] if len(steps) == 1 else steps,
                                         batch=batch, crop=crop, quant=quant, qat_steps=qat_steps, calib=calib,
                                         eval_limit=eval_limit, threads=threads))
    t, s, e = rep["teacher"], rep["student"], rep["emulator"]
    print(f"widths {s['widths']}: MACs {s['macs_720p'] / 1e9:.2f} G (teacher {t['macs_720p'] / 1e9:.2f}), DPU cycles "
          f"{s['dpu_cycles_720p'] / 1e6:.2f} M (teacher {t['dpu_cycles_720p'] / 1e6:.2f}); emulator {e['bpp']:.3f} bpp "
          f"/ {e['psnr']:.2f} dB; {sum(rep['seconds'].values()):.0f} s; report {out}/recipe.json")


KD_TASKS: list = [distill, train_student, prune, prune_criteria, student_recipe]

# --- hardware-ready models: quantization, deploy package, emulator -----------------------------

@task(auto_shortflags=False, help={
    "out": "output folder (quant_plan.json, model.pt, summary.json)",
    "model": "registry name of the float model (default: the shipped default)",
    "checkpoint": "float model checkpoint instead of a registry name",
    "ptq": "post-training quantization: min/max calibration only (the default)",
    "qat": "quantization-aware training after calibration (straight-through estimators)",
    "single": "GDN/iGDN at 8 bits (the single-precision ablation) instead of the 32-bit golden ops",
    "mse": "activation positions by least quantization error instead of min/max (recommended; see docs)",
    "data": "photographs for calibration patches and QAT crops (default ../shared/data/train)",
    "calib": "number of calibration patches (256x256 centre crops)",
    "steps": "QAT iterations", "lmbda": "RD trade-off for QAT (default: the model's own)",
    "lr": "QAT learning rate", "batch": "QAT batch size", "crop": "QAT crop size", "seed": "random seed",
    "threads": "torch CPU threads (0: default; 1 is fastest on a shared 2-core machine)",
    "sigma_position": "fix position of h_s's output sigma (default: calibrated; see docs/quantization.md)",
    "sigma_calibration": "without --sigma-position: minmax (largest sigma fits) or rate (fewest y bits; see docs)",
    "sigma_table": "Gaussian scale table: model (CompressAI's) or matched (every entry an int8 sigma reaches)",
    "pixels_in": "pixel convention into g_a: unsigned (p/255) or centred (q = p - 128, all 256 levels; PTQ)",
    "pixels_out": "pixel convention out of g_s: unsigned (caps at 253 at position 7) or centred (p = q + 128; PTQ)",
    "weight_positions": "weight fix positions: minmax (largest weight fits) or mse (least int8 weight error; "
                        "outliers clip; see docs/quantization.md)",
})
def quantize(c, out="runs/quant", model=None, checkpoint=None, ptq=False, qat=False, single=False, mse=False,
             data=DEFAULT_DATA, calib=32, steps=1000, lmbda=None, lr=5e-5, batch=8, crop=128, seed=0, threads=0,
             sigma_position=None, sigma_calibration="minmax", sigma_table="model", pixels_in="unsigned",
             pixels_out="unsigned", weight_positions="minmax"):
    """Quantize a float model to int8 DPU fix positions: --ptq (calibrate) or --qat (calibrate + fine-tune)."""
    from pylic.quant import run_quantize

    if ptq and qat:
        raise Exit("choose one of --ptq and --qat", code=2)
    summary = _run(run_quantize, out, model=model, checkpoint=checkpoint, mode="qat" if qat else "ptq", data=data,
                   calib=calib, steps=steps, lmbda=float(lmbda) if lmbda is not None else None,
                   precision="single" if single else "mixed", batch=batch, crop=crop, lr=lr, seed=seed,
                   threads=threads, method="mse" if mse else "minmax",
                   sigma_position=int(sigma_position) if sigma_position is not None else None,
                   sigma_calibration=sigma_calibration, sigma_table=sigma_table, pixels_in=pixels_in,
                   pixels_out=pixels_out, weights=weight_positions)
    for note in summary["notes"]:
        print(f"note: {note}")
    print(f"wrote {out}/quant_plan.json and {out}/model.pt ({summary['mode']}, {summary['precision']} precision, "
          f"{summary['total_s']:.0f} s); next: invoke export --quantized {out}")


@task(help={"quantized": "folder written by `invoke quantize`",
            "dest": "parent folder of deploy packages (each lands in <dest>/<short hash>/)",
            "patch": "xmodel input patch size (multiple of 64)",
            "publish": "also put the package into the zoo (pylic/zoo/packages) under this name",
            "float_model": "with --publish: registry name of the float model it was quantized from",
            "description": "with --publish: one-line description",
            "lmbda": "with --publish: the lambda (default: the one in the quantization summary)"})
def export(c, quantized="runs/quant", dest="packages", patch=256, publish="", float_model="", description="",
           lmbda=None):
    """Write the deploy package (manifest.json + weights.npz, named by content hash) of a quantized model."""
    from pylic.deploy import load, run_export

    if publish:
        from pylic.deploy.tasks import run_publish

        print(_run(run_publish, quantized, publish, float_model, description,
                   float(lmbda) if lmbda is not None else None, patch))
        return
    folder = _run(run_export, quantized, dest, patch)
    pkg = load(folder)
    print(f"{folder}  hash {pkg.content_hash}  ({pkg.manifest.precision} precision)")


@task(help={"out": "JSON report path", "model": "registry name of the float model",
            "checkpoint": "float model checkpoint",
            "package": "deploy package: shipped name or folder (default: PTQ of the model, built here)",
            "synthetic": "use the seeded stand-in model (no trained weights needed; timing does not depend on them)",
            "repeats": "timed repetitions (best of)", "overlap": "patch overlap in pixels",
            "height": "frame height", "width": "frame width",
            "csim_root": "also time the C simulation of every kernel under this folder (invoke gen-hls output)"})
def bench(c, out="out/bench_emulator.json", model=None, checkpoint=None, package=None, synthetic=False,
          repeats=2, overlap=0, height=720, width=1280, csim_root=None):
    """Time the emulator against the float model on one 1280x720 frame, and entropy coding: pylic vs CompressAI."""
    from pylic.bench import bench_emulator

    _run(bench_emulator, out, model=model, checkpoint=checkpoint, package=package, synthetic=synthetic,
         height=height, width=width, overlap=overlap, repeats=repeats, csim_root=csim_root)


@task(iterable=["model", "sets"], help={
    "model": "registry name (repeatable; default: pylic-hp-v2-q1..q4)",
    "sets": "kodak, bsds500-481x321, kodak-500x333, kodak-1280x720 (repeatable; default: all)",
    "out": "JSON report path", "limit_bsds": "BSDS500 test images used", "limit_720p": "Kodak frames tiled to 720p",
    "overlap": "patch overlap in pixels", "context": "context of latent-domain tiling (0: not measured)",
})
def tiling_cost(c, model=None, sets=None, out="out/tiling_cost.json", limit_bsds=24, limit_720p=4, overlap=0,
                context=32):
    """Tiling overhead vs whole-image coding: container v1, v2 and v2 with context tiling, per rate point and set."""
    from pylic.eval.tiling_cost import MODELS
    from pylic.eval.tiling_cost import tiling_cost as measure

    _run(measure, out, tuple(model or MODELS), limit_bsds=limit_bsds or None, limit_720p=limit_720p or None,
         sets=tuple(sets) if sets else None, overlap=overlap, context=context)


@task(iterable=["model", "context"], help={
    "model": "registry name (repeatable; default: pylic-hp-v2-q1..q4)",
    "context": "context pixels per side of a latent-domain tile, a multiple of 16 (repeatable; default: 16, 32)",
    "limit": "Kodak images used", "size": "kodak, or 720p (each image tiled to 1280x720)", "out": "JSON report path",
})
def seam_study(c, model=None, context=None, limit=8, size="kodak", out="out/seams.json"):
    """Where tiling's PSNR cost comes from: per-patch vs context-tiled vs whole-image reconstruction (float, no coding)."""
    from pylic.eval.seams import seam_study as study
    from pylic.eval.tiling_cost import MODELS

    r = _run(study, tuple(model or MODELS), limit or None, tuple(int(x) for x in context or (16, 32)), out, size)
    for name, m in r["models"].items():
        print(name, "  ".join(f"{k} {v:.3f} dB" for k, v in m["mean"].items()))


@task(iterable=["variant"], auto_shortflags=False, help={
    "model": "registry name of the float model",
    "variant": "NAME:field=value,... over QuantConfig (e.g. s3:sigma_position=3,sigma_table=matched); repeat; "
               "the first is the baseline (default: one calibrated baseline)",
    "limit": "first N Kodak images", "calib": "calibration patches", "out": "JSON report",
})
def quant_variants(c, model="pylic-student-q2", variant=None, limit=4, calib=16, out="out/quant_variants.json"):
    """PTQ one float model under several precision choices; each package on the emulator over Kodak images."""
    from pylic.eval.images import load_kodak
    from pylic.quant.variants import compare_variants, parse_variant, variants_table

    variants = dict(_run(parse_variant, v) for v in (variant or ["calibrated:"]))
    print(variants_table(_run(compare_variants, model, variants, load_kodak(limit), calib=calib, out=out)))


QUANT_TASKS: list = [quantize, export, bench, tiling_cost, seam_study, quant_variants]

# --- HLS: golden GDN, code generation, csim, synthesis -----------------------------------------

HLS_OUT = "build/hls"
_MODEL_HELP = ("registry name, or 'synthetic' for the seeded stand-in (default: the shipped default model); "
               "quantized first (PTQ min/max on the 15 photo patches) into a deploy package, whose kernels are built")
_PACKAGE_HELP = ("deploy package, shipped name or folder (invoke export): its own GDN parameters, vectors from the "
                 "emulator on real photos; kernels land in OUT/pkg-<short hash>; not with --model/--checkpoint")


@task(help={"model": _MODEL_HELP, "checkpoint": "weights file (overrides the registry's weights)",
            "package": _PACKAGE_HELP, "out": "build folder (kernels land in OUT/<model>)",
            "par": "output channels per cycle in GDN kernels"})
def gen_hls(c, model=None, checkpoint=None, out=HLS_OUT, par=1, package=None):
    """Render a deploy package's GDN/iGDN + patch-buffer HLS kernels, testbenches, photo and directed golden
    vectors, and run_hls.tcl (a --model is quantized into a package first)."""
    from pylic.hls.project import generate_for

    print(f"generated {_run(generate_for, model, checkpoint, out, par, package=package)}")


@task(help={"model": _MODEL_HELP, "checkpoint": "weights file", "package": _PACKAGE_HELP, "out": "build folder",
            "par": "output channels per cycle",
            "no_gen": "reuse the kernels already generated under OUT/<model> (OUT/pkg-<short hash>)"})
def csim(c, model=None, checkpoint=None, out=HLS_OUT, par=1, no_gen=False, package=None):
    """Bit-exact C simulation of every kernel against the golden model (g++ + hls4ml AP types)."""
    from pylic.hls.csim import format_table
    from pylic.hls.project import build_root, generate_for
    from pylic.hls.project import csim as run_csim

    root = (_run(build_root, out, model, checkpoint, package) if no_gen
            else _run(generate_for, model, checkpoint, out, par, package=package))
    results = _run(run_csim, root)
    print(format_table(results))
    failed = [r.top for r in results if not r.passed]
    if failed:
        raise Exit(f"csim FAILED for {', '.join(failed)}", code=1)


def _vitis(step, model, checkpoint, out, dry_run, package):
    from pylic.hls.vitis import run_step_for

    for r in _run(run_step_for, step, model, checkpoint, out, dry_run, package):
        print(f"{r.top}: {'(dry run) ' if dry_run else ''}cd {r.run.cwd} && {r.run.command}")
        if r.report:
            print(f"  latency {r.report['latency_worst']} cycles, II {r.report['interval_max']}, "
                  f"resources {r.report['resources']}")


@task(help={"model": _MODEL_HELP, "checkpoint": "weights file", "package": _PACKAGE_HELP,
            "out": "build folder (generated if missing)", "dry_run": "print the commands and write the scripts, run nothing"})
def synth(c, model=None, checkpoint=None, out=HLS_OUT, dry_run=False, package=None):
    """Vitis HLS synthesis + .xo export per kernel (vitis_hls -f run_hls.tcl); parses csynth.xml to JSON."""
    _vitis("synth", model, checkpoint, out, dry_run, package)


@task(help={"model": _MODEL_HELP, "checkpoint": "weights file", "package": _PACKAGE_HELP,
            "out": "build folder (generated if missing)", "dry_run": "print the commands and write the scripts, run nothing"})
def cosim(c, model=None, checkpoint=None, out=HLS_OUT, dry_run=False, package=None):
    """Vitis HLS C/RTL co-simulation per kernel (vitis_hls -f run_hls.tcl)."""
    _vitis("cosim", model, checkpoint, out, dry_run, package)


@task(help={"model": _MODEL_HELP, "checkpoint": "weights file", "out": "folder for gdn_error_table.md/.json"})
def gdn_error_table(c, model=None, checkpoint=None, out="build/gdn_error"):
    """Fixed-point GDN vs CompressAI float GDN on real photos, for LUT sizes and internal formats."""
    from pylic.eval.gdn_error import write_error_table_for

    md, _ = _run(write_error_table_for, model, checkpoint, out)
    print(md.read_text())


HLS_TASKS: list = [gen_hls, csim, synth, cosim, gdn_error_table]

# --- performance model ----------------------------------------------------------------------

_PERF_HELP = {"board": "board name (zcu102, zcu104) or a board JSON file", "size": "frame WIDTHxHEIGHT", "overlap": "patch overlap in pixels",
              "gdn_par": "GDN kernel output channels per cycle (0: widest that fits the DSPs left)",
              "a53_factor": "host time -> Cortex-A53 time factor for PS work (an assumption; see pylic/perf/ps.py)",
              "layer_overhead": "fixed DPU cycles added per conv layer (default 0: no measured value)"}


@task(help={"package": "deploy package (shipped name or folder)", "model": "registry model name",
            "spec": "N=..,M=..[,prune=..][,hyper=..] or Teacher-192 / Student-160 / Student-128",
            "out": "folder for perf.json, layers.png, fps_vs_n.png",
            "bench": "`invoke bench` JSON whose measured host coding times replace the defaults", **_PERF_HELP})
def perf(c, package=None, model=None, spec=None, board="zcu102", size="1280x720", overlap=56, gdn_par=0,
         a53_factor=8.0, out="out/perf", layer_overhead=0, bench=None):
    """Model DPU cycles, GDN kernels, PS coding and the 3-lane pipeline for one model: FPS and bottleneck."""
    from pylic.perf.report import perf_report

    _run(perf_report, package, model, spec, board, size, overlap, gdn_par, a53_factor, out,
         layer_overhead=layer_overhead, bench=bench)


@task(help={"fps": "target encode FPS", "m": "latent width M", "hyper": "hyper-transform width",
            "prune": "filter pruning ratio of the hidden layers", "step": "N is a multiple of this",
            "out": "JSON report path", **_PERF_HELP})
def plan(c, fps=40.0, board="zcu102", m=320, hyper=192, prune=0.0, step=16, size="1280x720", overlap=56,
         gdn_par=0, a53_factor=8.0, out="out/plan.json", layer_overhead=0):
    """Which hidden widths N meet an FPS target on a board (end to end, DPU+GDN, DPU only), with the margin."""
    from pylic.perf.report import plan as run_plan

    _run(run_plan, float(fps), board, m, hyper, prune, step, size, overlap, gdn_par, a53_factor, out,
         layer_overhead=layer_overhead)


@task(help={"out": "Markdown file", "board": "board", "overlap": "patch overlap of the 720p protocol"})
def perf_docs(c, out="docs/perf.md", board="zcu102", overlap=56):
    """Regenerate docs/perf.md: the paper's Tables II, V, X reproduced against pylic's performance model."""
    from pylic.perf.paper import write_perf_doc

    _run(write_perf_doc, out, board, overlap)


PERF_TASKS: list = [perf, plan, perf_docs]


@task(help={"package": "deploy package: a shipped name (e.g. pylic-student-q2-int8) or a package folder",
            "arch": "the DPU's arch.json (overlays/<board>/<package>/arch.json from build-overlay)",
            "out": "build folder (default: xmodels/ beside the arch.json)",
            "dry_run": "write the quantized xmodels and every script, print the vai_c_xir commands, run nothing",
            "check_only": "only check what compile_in_docker.sh compiled into OUT and write xmodels.json"})
def compile_xmodel(c, package, arch, out=None, dry_run=False, check_only=False):
    """One DPU xmodel per segment from the package's own int8 numbers (vai_c_xir), checked, workloads recorded."""
    from pylic.xmodel.compile import compile_xmodels

    result = _run(compile_xmodels, package, arch, out, dry_run=dry_run, check_only=check_only)
    for command in result["commands"]:
        print(command)
    if result["record"] is not None:
        for seg in result["record"]["segments"]:
            print(f"{seg['segment']:10s} fix {seg['input_fix']:>2} -> {seg['output_fix']:>2}  "
                  f"workload_on_arch {seg['workload_on_arch']:,}")
    print(f"{'planned' if dry_run else 'checked'}: {result['out_dir']}")


XMODEL_TASKS: list = [compile_xmodel]

# --- overlay build flow (issue 10): package -> HLS .xo -> platform -> DPU .xo -> v++ link -> overlays/ ----------

@task(help={"board": "board name (zcu102, zcu104) or a board JSON file",
            "package": "deploy package: shipped name or folder (default: the shipped student q2 package)",
            "dry_run": "write every script and print the plan; run no tool and record nothing",
            "from_step": "start at this step (fit, gen_hls, hls_xo, platform, dpu_xo, link, collect)",
            "to_step": "stop after this step", "dpu_ip": "DPUCZDX8G reference design folder (or $PYLIC_DPU_IP)",
            "out": "overlay root (lands in OUT/<board>/<package>/)", "build": "build root", "par": "GDN PAR",
            "force": "rerun steps even when their inputs are unchanged"})
def build_overlay(c, board="zcu102", package="pylic-student-v2-q2-int8", dry_run=False, from_step=None, to_step=None,
                  dpu_ip=None, out="overlays", build="build/overlay", par=1, force=False):
    """Build the FPGA overlay (3x B4096 DPU + GDN/iGDN/patch kernels) for a deploy package; see docs/overlay.md."""
    from pylic.flow.overlay import build_overlay as run_build

    _run(run_build, board, package, out, build, dry_run, from_step, to_step, dpu_ip, par, force)


FLOW_TASKS: list = [build_overlay]



# --- board: deploy to a PYNQ board ---------------------------------------------------------------


@task(help={"host": "board host name or address (ssh reachable)",
            "overlay": "overlay folder (dpu.bit/.hwh/.xclbin, kernels.json, xmodels/)",
            "package": "deploy package: shipped name or folder", "user": "ssh user on the board",
            "remote": "folder on the board (inside PYNQ's Jupyter root)", "port": "ssh port",
            "photo": "optional image copied as photo.png for the notebooks",
            "dry_run": "print the ssh/scp commands without running them"})
def deploy(c, host, overlay, package="pylic-student-v2-q2-int8", user="xilinx", remote="", port=22, photo=None,
           dry_run=False):
    """Copy overlay, deploy package, pylic and notebooks to a board; print how to open the notebook."""
    from pylic.board.deploy import REMOTE, deploy as run_deploy

    _run(run_deploy, host, overlay, package, dry_run=dry_run, user=user, remote=remote or REMOTE, port=port,
         photo=photo)


@task(help={"package": "deploy package: shipped name or folder", "overlay": "overlay folder (on the board); "
            "without it, host mode", "image": "image file (default: kodim23, else a scikit-image photo)",
            "overlap": "patch overlap", "width": "frame width (the image is tiled to it)", "height": "frame height",
            "repeat": "runs per mode (the best is kept)", "out": "JSON report path"})
def board_bench(c, package="pylic-student-v2-q2-int8", overlay=None, image=None, overlap=56, width=1280, height=720,
                repeat=2, out="out/board_bench.json"):
    """Pipelined vs sequential lanes on one frame: per-stage times, frames/s, scheduler overhead, same bytes."""
    from pylic.board.bench import board_bench as run_bench

    r = _run(run_bench, package, image, overlay, overlap, width, height, repeat, out)
    print(f"{r['where']}: encode {r['sequential_encode']['seconds']:.3f} s sequential, "
          f"{r['pipelined_encode']['seconds']:.3f} s pipelined; identical bytes {r['identical_bytes']}; "
          f"scheduler {r['scheduler_overhead_us_per_patch']:.1f} us/patch -> {out}")


BOARD_TASKS: list = [deploy, board_bench]

ns = Collection(*FOUNDATION_TASKS, *KD_TASKS, *QUANT_TASKS, *HLS_TASKS, *PERF_TASKS, *XMODEL_TASKS, *FLOW_TASKS,
                *BOARD_TASKS)
