"""Rate-distortion training: loss R + lambda*255^2*MSE, plus the entropy bottleneck's aux loss."""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import torch
from tqdm import tqdm

from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.models.registry import state_for
from pylic.train import checkpoint as ckpt
from pylic.train.data import CropSampler, batch_source
from pylic.train.distributed import DistEnv, device_for, init_distributed, rank_seed, wrap_ddp
from pylic.train.optim import DivergenceGuard, make_optimizers, set_lr, train_step
from pylic.train.run_folder import RunFolder

STATS = ("loss", "bpp", "mse")


@dataclass
class TrainConfig:
    out: str
    data: str
    N: int = 64
    M: int = 128
    activation: str = "gdn"
    lmbda: float = 0.0067
    steps: int = 10000
    batch: int = 8
    crop: int = 128
    lr: float = 5e-4
    aux_lr: float = 1e-3
    decay_every: int = 1000  # step decay as in the paper's Table I (rate 0.9), scaled to short runs
    decay_rate: float = 0.9
    clip: float = 1.0
    ckpt_every: int = 250
    seed: int = 0
    threads: int = 0  # 0: torch default
    init: str | None = None  # start from these weights (a file or a registry name): fine-tuning to another lambda
    device: str = "cpu"  # "cuda" trains on the GPU (checkpoints stay loadable on a CPU)
    prefetch: int = 0  # batches cropped ahead in a background thread (keeps a GPU busy); 0: inline
    extra: dict = field(default_factory=dict)


def initial_model(cfg: TrainConfig) -> ScaleHyperprior:
    """A fresh model of the configured widths, or `cfg.init`'s weights with their own widths (so pruned and
    student models fine-tune as they are). `init` is a weights/checkpoint file or a registry name."""
    if not cfg.init:
        return ScaleHyperprior(HyperpriorConfig.uniform(cfg.N, cfg.M, cfg.activation))  # type: ignore[arg-type]
    state, activation = state_for(cfg.init, "--init weights")
    return ScaleHyperprior.from_state_dict(state, activation or cfg.activation)  # type: ignore[arg-type]


def rd_loss(out: dict, x: torch.Tensor, lmbda: float) -> dict[str, torch.Tensor]:
    n_pix = x.shape[0] * x.shape[2] * x.shape[3]
    bpp = sum(torch.log(v).sum() for v in out["likelihoods"].values()) / (-math.log(2) * n_pix)
    mse = torch.mean((out["x_hat"] - x) ** 2)
    return {"loss": lmbda * 255**2 * mse + bpp, "bpp": bpp, "mse": mse}


def lr_at(cfg: TrainConfig, step: int) -> float:
    return cfg.lr * cfg.decay_rate ** (step // max(1, cfg.decay_every))


@contextmanager
def sigterm_as_interrupt():
    """SIGTERM (a scheduler's stop, `kill`) takes the same save-and-exit path as Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def train(cfg: TrainConfig, resume: bool = True, progress: bool = True,
                         env: DistEnv | None = None) -> ScaleHyperprior:
    """Train (or resume) and return the model with its CDF tables built. Under `torchrun` every rank
    trains a DistributedDataParallel replica (see pylic.train.distributed); a plain run is one process."""
    env = env or init_distributed(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank (DDP also broadcasts rank 0's)
    model = initial_model(cfg)
    dev = device_for(env, cfg.device)
    model.to(dev)
    opts = make_optimizers(model, cfg.lr, cfg.aux_lr)
    run = RunFolder(cfg.out, env)
    state = ckpt.restore(run.checkpoint, model, opts.main, opts.aux) if resume else {}
    start = int(state.get("step", 0))
    net = wrap_ddp(model, env)
    seed = rank_seed(cfg.seed, env.rank, start)
    torch.manual_seed(seed)
    sampler = CropSampler(cfg.data, crop=cfg.crop, seed=seed)
    run.open(asdict(cfg) | {"world_size": env.world_size})

    def save(step: int, extra: dict | None = None) -> None:
        run.save(model, {"optimizer": opts.main.state_dict(), "aux_optimizer": opts.aux.state_dict(), "step": step,
                         "config": asdict(cfg), **(extra or {})})

    model.train()
    ema: dict[str, float] = {}
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not (progress and env.is_main),
               desc="train")
    t0, done = time.time(), start  # `done`: completed steps
    guard = DivergenceGuard()
    try:
        with sigterm_as_interrupt(), batch_source(sampler, cfg.batch, cfg.prefetch) as next_batch:
            for step in bar:
                set_lr(opts.main, lr_at(cfg, step))
                x = next_batch().to(dev)
                res = rd_loss(net(x), x, cfg.lmbda)
                aux, applied = train_step(res["loss"], model, opts, cfg.clip, env)
                guard.record(applied, step)
                done = step + 1
                if not applied:
                    bar.set_postfix(skipped=guard.skipped)
                    continue
                vals = dict(zip(STATS, env.all_mean(torch.stack([res[k].detach() for k in STATS])).tolist()))
                ema = {k: v if k not in ema else 0.98 * ema[k] + 0.02 * v for k, v in (vals | {"aux": aux}).items()}
                psnr = -10 * math.log10(max(ema["mse"], 1e-10))
                bar.set_postfix(loss=f"{ema['loss']:.3f}", bpp=f"{ema['bpp']:.3f}", psnr=f"{psnr:.2f}")
                if done % cfg.ckpt_every == 0 or done == cfg.steps:
                    save(done)
                    run.log({"step": done, "time": time.time() - t0, **ema, "psnr": psnr, "skipped": guard.skipped})
            run.finish(model, start, cfg.steps, save)
    except KeyboardInterrupt:
        save(done)
        run.interrupted(done, time.time() - t0, ema)
        raise
    finally:
        run.close()
    return model.cpu()
