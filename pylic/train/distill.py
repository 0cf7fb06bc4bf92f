"""Knowledge distillation (paper §III-A2, §IV-A1): fine-tune a small student against a frozen teacher.

Loss per step: α·MSE(y_t, y_s) + β·perceptual(x̂_t, x̂_s) + γ·(R + λ·255²·D), where y are the analysis
outputs (the latents before quantisation), x̂_t = g_s_t(round(y_t)) is the teacher's decoded image and x̂_s
the student's training-mode reconstruction; R and D are the student's. α, β and the learning rate follow
`KDSchedule` (early → late on a latent-loss plateau); γ stays 0.5. `kd=False` trains the same student
from the same initialisation with α = β = 0 (γ·RD only, same schedule, same data): the paper's no-KD
ablation. Runs are resumable, Ctrl-C (and SIGTERM) saves, and `torchrun` runs them data-parallel (`pylic.train.launch`).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from pylic.errors import ModelError
from pylic.models.hyperprior import ScaleHyperprior
from pylic.models.registry import state_for
from pylic.train import checkpoint as ckpt
from pylic.train.data import DEFAULT_TRAIN_DIR, CropSampler, batch_source
from pylic.train.distributed import DistEnv, device_for, init_distributed, rank_seed, wrap_ddp
from pylic.train.kd_schedule import KDSchedule, PlateauRule
from pylic.train.optim import DivergenceGuard, make_optimizers, set_lr, train_step
from pylic.train.run_folder import RunFolder
from pylic.train.perceptual import build_perceptual, perceptual_distance
from pylic.train.rd import rd_loss, sigterm_as_interrupt
from pylic.train.starting_point import load_start
from pylic.train.student import init_student, student_config

STATS = ("loss", "latent", "perceptual", "rd", "bpp", "mse")


@dataclass
class DistillConfig:
    out: str
    teacher: str | None = None  # registry name of the teacher
    teacher_checkpoint: str | None = None  # or its weights / training checkpoint
    data: str = str(DEFAULT_TRAIN_DIR)
    N: int = 32  # student hidden width (g_a and g_s)
    lmbda: float = 0.0  # 0: the teacher's λ
    kd: bool = True  # False: the no-KD ablation (α = β = 0)
    terms: str = "latent+perceptual"  # KD terms kept (paper Fig. 12): latent+perceptual | latent | perceptual | none
    activation: str = ""  # student nonlinearity: "" (the teacher's), gdn or relu (the GDN-vs-ReLU ablation)
    init: str = ""  # start the student from these weights (e.g. its preliminary RD training)
    steps: int = 2000
    batch: int = 8
    crop: int = 128
    lr: float = 1e-4  # paper Table I: 1e-4 early
    late_lr: float = 1e-5  # paper: 1e-6 after 250K steps; 1e-5 keeps short CPU runs learning
    decay_every: int = 250  # paper: ×0.9 every 25K steps, scaled to short runs; restarts with each phase
    decay_rate: float = 0.9
    aux_lr: float = 1e-3
    clip: float = 1.0
    alpha_early: float = 1.0
    beta_early: float = 0.1
    alpha_late: float = 0.1
    beta_late: float = 1.0
    gamma: float = 0.5
    plateau_window: int = 200
    plateau_tol: float = 0.01
    plateau_ema: float = 0.98
    min_early_steps: int = 0
    max_early_steps: int = 0  # 0: switch only on a plateau
    perceptual: str = "imagenet"  # imagenet | random | none (see pylic.train.perceptual)
    perceptual_weights: str = ""
    ckpt_every: int = 250
    seed: int = 0
    threads: int = 0
    device: str = "cpu"
    prefetch: int = 0  # batches cropped ahead in a background thread (keeps a GPU busy); 0: inline


KD_TERMS = ("latent+perceptual", "latent", "perceptual", "none")


def check_terms(cfg: DistillConfig) -> None:
    """One clear error for a KD-term choice that cannot run (before any model is loaded)."""
    if cfg.terms not in KD_TERMS:
        raise ModelError(f"--terms must be one of {', '.join(KD_TERMS)}, not {cfg.terms!r}")
    if cfg.kd and cfg.terms == "perceptual" and cfg.perceptual == "none":
        raise ModelError("--terms perceptual needs a perceptual network (--perceptual imagenet or random)")


def make_schedule(cfg: DistillConfig, perceptual_on: bool) -> KDSchedule:
    rule = PlateauRule(cfg.plateau_window, cfg.plateau_tol, cfg.plateau_ema, cfg.min_early_steps,
                       cfg.max_early_steps)
    a_e, b_e, a_l, b_l = cfg.alpha_early, cfg.beta_early, cfg.alpha_late, cfg.beta_late
    if not cfg.kd or cfg.terms == "none":
        a_e = b_e = a_l = b_l = 0.0
    if not perceptual_on or "perceptual" not in cfg.terms:
        b_e = b_l = 0.0
    if "latent" not in cfg.terms:
        a_e = a_l = 0.0
    return KDSchedule(rule, (a_e, b_e), (a_l, b_l), cfg.gamma)


def lr_for(cfg: DistillConfig, sched: KDSchedule, step: int) -> float:
    if sched.phase == "early":
        return cfg.lr * cfg.decay_rate ** (step // max(1, cfg.decay_every))
    since = step - (sched.switched_at or 0)
    return cfg.late_lr * cfg.decay_rate ** (since // max(1, cfg.decay_every))


def kd_loss(out: dict, x: torch.Tensor, y_t: torch.Tensor, x_t: torch.Tensor | None, features, lmbda: float,
            w) -> dict[str, torch.Tensor]:
    """Eq. (1): every term, and the weighted total under the weights `w` (a KDWeights)."""
    rd = rd_loss(out, x, lmbda)
    latent = F.mse_loss(out["y"], y_t)
    if features is not None and w.beta > 0 and x_t is not None:
        perc = perceptual_distance(features, x_t, out["x_hat"])
    else:
        perc = torch.zeros((), device=x.device)
    total = w.alpha * latent + w.beta * perc + w.gamma * rd["loss"]
    return {"loss": total, "latent": latent, "perceptual": perc, "rd": rd["loss"], "bpp": rd["bpp"],
            "mse": rd["mse"]}


def distill(cfg: DistillConfig, resume: bool = True, progress: bool = True,
            env: DistEnv | None = None) -> ScaleHyperprior:
    """Distil (or resume) and return the student with its CDF tables built."""
    check_terms(cfg)
    env = env or init_distributed(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    dev = device_for(env, cfg.device)
    teacher, lmbda = load_start(cfg.teacher, cfg.teacher_checkpoint or None, cfg.lmbda or None)
    teacher = teacher.to(dev).eval().requires_grad_(False)
    features = None
    if cfg.kd and "perceptual" in cfg.terms and max(cfg.beta_early, cfg.beta_late) > 0:
        features = build_perceptual(cfg.perceptual, cfg.perceptual_weights or None)
        features = features.to(dev) if features is not None else None
    torch.manual_seed(cfg.seed)  # identical student on every rank
    student = init_student(teacher, student_config(teacher.cfg, cfg.N, cfg.activation or None))
    if cfg.init:
        try:
            student.load_state_dict(state_for(cfg.init, "--init weights")[0], strict=False)
        except RuntimeError as exc:
            raise ModelError(f"--init {cfg.init} does not fit a width-{cfg.N} student: {exc}") from None
    student.to(dev)
    opts = make_optimizers(student, cfg.lr, cfg.aux_lr)
    sched = make_schedule(cfg, features is not None)
    run = RunFolder(cfg.out, env)
    state = ckpt.restore(run.checkpoint, student, opts.main, opts.aux) if resume else {}
    if state:
        sched.load_state_dict(state["schedule"])
    start = int(state.get("step", 0))
    net = wrap_ddp(student, env)
    seed = rank_seed(cfg.seed, env.rank, start)
    torch.manual_seed(seed)  # the training noise differs per rank
    sampler = CropSampler(cfg.data, crop=cfg.crop, seed=seed)
    run_meta = {**asdict(cfg), "lmbda": lmbda, "activation": student.cfg.activation,
                "student": student.cfg.to_dict(), "teacher_config": teacher.cfg.to_dict(), "world_size": env.world_size}
    run.open(run_meta)

    def save(step: int, extra: dict | None = None) -> None:
        run.save(student, {"optimizer": opts.main.state_dict(), "aux_optimizer": opts.aux.state_dict(), "step": step,
                           "config": run_meta, "schedule": sched.state_dict(), **(extra or {})})

    student.train()
    ema: dict[str, float] = {}
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not (progress and env.is_main),
               desc="distill" if cfg.kd else "student")
    t0, done = time.time(), start  # `done`: completed steps
    guard = DivergenceGuard()
    try:
        with sigterm_as_interrupt(), batch_source(sampler, cfg.batch, cfg.prefetch) as next_batch:
            for step in bar:
                set_lr(opts.main, lr_for(cfg, sched, step))
                x = next_batch().to(dev)
                with torch.no_grad():
                    y_t = teacher.g_a(x)
                    x_t = teacher.g_s(torch.round(y_t)) if features is not None else None
                terms = kd_loss(net(x), x, y_t, x_t, features, lmbda, sched.weights)
                aux, applied = train_step(terms["loss"], student, opts, cfg.clip, env)
                guard.record(applied, step)
                done = step + 1
                if not applied:
                    bar.set_postfix(skipped=guard.skipped)
                    continue
                vals = env.all_mean(torch.stack([terms[k].detach().float() for k in STATS])).tolist()
                cur = dict(zip(STATS, vals)) | {"aux": aux}
                ema = {k: v if k not in ema else 0.98 * ema[k] + 0.02 * v for k, v in cur.items()}
                psnr = -10 * math.log10(max(ema["mse"], 1e-10))
                if sched.observe(done, cur["latent"]):
                    run.log({"event": "phase_switch", "step": done, "reason": sched.reason,
                               "weights": asdict(sched.weights)})
                bar.set_postfix(phase=sched.phase, latent=f"{ema['latent']:.4f}", bpp=f"{ema['bpp']:.3f}",
                                psnr=f"{psnr:.2f}")
                if done % cfg.ckpt_every == 0 or done == cfg.steps:
                    save(done)
                    run.log({"step": done, "time": time.time() - t0, **ema, "psnr": psnr, "skipped": guard.skipped,
                               "phase": sched.phase,
                               **asdict(sched.weights), "lr": opts.main.param_groups[0]["lr"]})
            run.finish(student, start, cfg.steps, save, switched_at=sched.switched_at)
    except KeyboardInterrupt:
        save(done)
        run.interrupted(done, time.time() - t0, ema)
        raise
    finally:
        run.close()
    return student.cpu()


def train_student(cfg: DistillConfig, resume: bool = True, progress: bool = True,
                  env: DistEnv | None = None) -> ScaleHyperprior:
    """The same student, same initialisation, data and schedule, trained without KD (ablation)."""
    from dataclasses import replace

    return distill(replace(cfg, kd=False), resume, progress, env)
