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


@task(help={
    "out": "run folder (checkpoint.pt, log.jsonl, config.json); an existing checkpoint is resumed",
    "data": "folder of training photographs (default ../shared/data/train)",
    "n": "hidden width N", "m": "latent width M", "lmbda": "rate-distortion trade-off lambda",
    "steps": "total steps", "batch": "batch size", "crop": "random crop size",
    "lr": "initial learning rate (step decay x0.9 every --decay-every steps)", "decay_every": "decay period",
    "activation": "gdn or relu (the paper's ablation)", "init": "start from these weights (fine-tuning)",
    "threads": "torch CPU threads (0: default)", "seed": "random seed",
})
def train(c, out="runs/train", data=DEFAULT_DATA, n=64, m=128, lmbda=0.0067, steps=10000, batch=8, crop=128,
          lr=5e-4, decay_every=1000, activation="gdn", init=None, threads=0, seed=0):
    """Train a scale-hyperprior model for rate + lambda*255^2*MSE (resumable, Ctrl-C saves)."""
    from pylic.train.rd import TrainConfig, train as run_train

    cfg = TrainConfig(out=out, data=data, N=n, M=m, lmbda=lmbda, steps=steps, batch=batch, crop=crop, lr=lr,
                      decay_every=decay_every, activation=activation, init=init, threads=threads, seed=seed)
    _run(run_train, cfg)


@task(help={"run": "training run folder (its checkpoint.pt is exported)", "name": "registry name",
            "description": "one-line description"})
def export_model(c, run, name, description=""):
    """Copy a trained model into the zoo (fp16 weights + CDF tables + recipe JSON)."""
    from pylic.zoo.publish import publish_run

    print(_run(publish_run, run, name, description))


@task(help={"out": "output folder", "model": "registry name (default: shipped default)",
            "overlap": "patch overlap in pixels"})
def demo(c, out="out/demo", model=None, overlap=0):
    """Compress bundled photographs with the shipped model, decode, print size/bpp/PSNR/time."""
    from pylic.demo import run_demo

    _run(run_demo, out, model, overlap)


@task(iterable=["model"], help={
    "model": "registry name (repeat for an RD curve; default: every shipped pylic-hp model)",
    "data": "image folder (default ../shared/data/kodak)", "overlap": "patch overlap in pixels",
    "out": "JSON report path", "limit": "use only the first N images", "no_whole": "skip whole-image coding",
    "size720p": "tile each image to 1280x720 first (the paper's protocol; use --overlap 56)",
})
def evaluate(c, model=None, data="../shared/data/kodak", overlap=0, out="out/rd_kodak.json", limit=0,
             no_whole=False, size720p=False):
    """RD evaluation: bpp/PSNR per image, tiling cost, BD-rate vs JPEG and JPEG 2000."""
    from pylic.eval.cli import evaluate_folder

    _run(evaluate_folder, model or None, data, overlap, out, limit or None, not no_whole, size720p)


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


FOUNDATION_TASKS: list = [train, export_model, demo, evaluate, test, models]

# --- HLS: golden GDN, code generation, csim, synthesis -----------------------------------------

# (HLS tasks added below)

HLS_TASKS: list = []

ns = Collection(*FOUNDATION_TASKS, *HLS_TASKS)
