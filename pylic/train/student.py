"""The distillation student (paper §III-A1): the teacher's topology with fewer hidden channels in g_a and
g_s. The last layer of each transform keeps the teacher's width (g_a → M latents, g_s → RGB), so student
and teacher latents can be compared element by element; the hyperprior (h_a, h_s, entropy bottleneck)
keeps the teacher's widths and starts from the teacher's weights."""

from __future__ import annotations

import torch

from pylic.errors import ModelError
from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior

HYPER_PREFIXES = ("h_a.", "h_s.", "entropy_bottleneck.")


def student_config(teacher: HyperpriorConfig, N: int | tuple[int, int, int],
                   activation: str | None = None) -> HyperpriorConfig:
    """Hidden widths N (one number, or three for g_a and g_s alike) and, unless given, everything else
    from the teacher; `activation="relu"` makes the GDN-vs-ReLU ablation's student."""
    widths = (N, N, N) if isinstance(N, int) else tuple(N)
    if len(widths) != 3 or any(int(w) != w or w < 1 for w in widths):
        raise ModelError(f"student width must be a positive integer or three of them, got {N!r}")
    w = tuple(int(v) for v in widths)
    return HyperpriorConfig(M=teacher.M, ga=w, gs=w, ha=teacher.ha, hs=teacher.hs, z=teacher.z,  # type: ignore
                            activation=activation or teacher.activation)  # type: ignore[arg-type]


@torch.no_grad()
def init_student(teacher: ScaleHyperprior, cfg: HyperpriorConfig) -> ScaleHyperprior:
    """A student with random g_a/g_s (the global torch seed decides them) and the teacher's hyperprior
    parameters copied in. CDF tables are rebuilt at the end of training, not copied."""
    if (cfg.M, cfg.ha, cfg.hs, cfg.z) != (teacher.cfg.M, teacher.cfg.ha, teacher.cfg.hs, teacher.cfg.z):
        raise ModelError(f"student {cfg} does not share the teacher's latent and hyperprior widths {teacher.cfg}")
    student = ScaleHyperprior(cfg)
    theirs = dict(teacher.named_parameters())
    for name, p in student.named_parameters():
        if name.startswith(HYPER_PREFIXES):
            p.copy_(theirs[name])
    return student
