"""Rate-distortion training: loss R + lambda*255^2*MSE, plus the entropy bottleneck's aux loss."""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.train import checkpoint as ckpt
from pylic.train.data import CropSampler


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
    init: str | None = None  # start from these weights (fine-tuning to another lambda)
    extra: dict = field(default_factory=dict)


def rd_loss(out: dict, x: torch.Tensor, lmbda: float) -> dict[str, torch.Tensor]:
    n_pix = x.shape[0] * x.shape[2] * x.shape[3]
    bpp = sum(torch.log(v).sum() for v in out["likelihoods"].values()) / (-math.log(2) * n_pix)
    mse = torch.mean((out["x_hat"] - x) ** 2)
    return {"loss": lmbda * 255**2 * mse + bpp, "bpp": bpp, "mse": mse}


def _optimizers(model: ScaleHyperprior, cfg: TrainConfig) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    main = [p for n, p in model.named_parameters() if not n.endswith(".quantiles")]
    aux = [p for n, p in model.named_parameters() if n.endswith(".quantiles")]
    return torch.optim.Adam(main, lr=cfg.lr), torch.optim.Adam(aux, lr=cfg.aux_lr)


def lr_at(cfg: TrainConfig, step: int) -> float:
    return cfg.lr * cfg.decay_rate ** (step // max(1, cfg.decay_every))


def train(cfg: TrainConfig, resume: bool = True, progress: bool = True) -> ScaleHyperprior:
    """Train (or resume) and return the model with its CDF tables built."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    model = ScaleHyperprior(HyperpriorConfig.uniform(cfg.N, cfg.M, cfg.activation))  # type: ignore[arg-type]
    if cfg.init:
        from pylic.models.registry import load_checkpoint_state

        model.load_state_dict(load_checkpoint_state(cfg.init), strict=False)
    opt, aux_opt = _optimizers(model, cfg)
    start = 0
    ck_path = out / "checkpoint.pt"
    if resume and ck_path.exists():
        state = ckpt.load(ck_path)
        model.load_state_dict(state["state_dict"])
        opt.load_state_dict(state["optimizer"])
        aux_opt.load_state_dict(state["aux_optimizer"])
        start = int(state["step"])
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    sampler = CropSampler(cfg.data, crop=cfg.crop, seed=cfg.seed + start)
    model.train()
    log = (out / "log.jsonl").open("a")
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not progress, desc="train")
    ema: dict[str, float] = {}
    t0 = time.time()

    def save(step: int) -> None:
        ckpt.atomic_save(
            {"state_dict": model.state_dict(), "optimizer": opt.state_dict(), "aux_optimizer": aux_opt.state_dict(),
             "step": step, "config": asdict(cfg)},
            ck_path,
        )

    try:
        for step in bar:
            for g in opt.param_groups:
                g["lr"] = lr_at(cfg, step)
            x = sampler.batch(cfg.batch)
            res = rd_loss(model(x), x, cfg.lmbda)
            opt.zero_grad()
            res["loss"].backward()
            if cfg.clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            aux = model.aux_loss()
            aux_opt.zero_grad()
            aux.backward()
            aux_opt.step()
            vals = {k: float(v.detach()) for k, v in res.items()} | {"aux": float(aux.detach())}
            ema = {k: v if k not in ema else 0.98 * ema[k] + 0.02 * v for k, v in vals.items()}
            psnr = -10 * math.log10(max(ema["mse"], 1e-10))
            bar.set_postfix(loss=f"{ema['loss']:.3f}", bpp=f"{ema['bpp']:.3f}", psnr=f"{psnr:.2f}")
            if (step + 1) % cfg.ckpt_every == 0 or step + 1 == cfg.steps:
                save(step + 1)
                log.write(json.dumps({"step": step + 1, "time": time.time() - t0, **ema, "psnr": psnr}) + "\n")
                log.flush()
    except KeyboardInterrupt:
        save(step)  # the last completed step; the checkpoint is written atomically
        raise
    finally:
        log.close()
    model.eval()
    model.update(force=True)
    return model
