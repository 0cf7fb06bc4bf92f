"""A deterministic stand-in model for tests and demos when no trained weights are installed.

A freshly initialised GDN is beta = 1, gamma = 0.1 I: too regular to test anything. This perturbs every
GDN to realistic, non-trivial parameters (per-channel beta, dense non-negative gamma with a dominant
diagonal) and scales the last analysis conv so the decoder sees non-zero rounded latents.
"""

from __future__ import annotations

import torch

from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior


def synthetic_model(seed: int = 0, N: int = 64, M: int = 128) -> ScaleHyperprior:
    """ScaleHyperprior(N, M) with seeded weights and perturbed GDN beta/gamma, in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = ScaleHyperprior(HyperpriorConfig.uniform(N, M))
    from pylic.models.gdn import gdn_modules

    with torch.no_grad():
        model.g_a[6].weight.mul_(8.0)
        for _, gdn in gdn_modules(model):
            c = gdn.beta.numel()
            beta = 0.05 + 1.5 * torch.rand(c, generator=gen)
            gamma = 0.02 * torch.rand(c, c, generator=gen) ** 3 + torch.diag(0.05 + 0.5 * torch.rand(c, generator=gen))
            gdn.beta.copy_(gdn.beta_reparam.init(beta))
            gdn.gamma.copy_(gdn.gamma_reparam.init(gamma))
    return model.eval()


def reference_model(name: str = "pylic-hp-q2"):
    """(model, label): the shipped model `name` when the registry has it, else the synthetic stand-in."""
    from pylic.models import MODELS, load_model

    if name in MODELS and MODELS[name].weights_path is not None and MODELS[name].weights_path.is_file():
        return load_model(name), name
    return synthetic_model(), "synthetic"


SYNTHETIC = "synthetic"  # the seeded stand-in's name on the command line (CI without trained weights)


def label_for(name: str | None, checkpoint: str | None) -> str:
    """Build-folder name of a model: its registry name, else the checkpoint's file stem (its folder's name
    for generic stems such as runs/hp-base/checkpoint.pt -> hp-base)."""
    from pathlib import Path

    if name:
        return name
    if checkpoint:
        path = Path(checkpoint)
        return path.parent.name if path.stem in ("checkpoint", "model", "weights") and path.parent.name else path.stem
    from pylic.models.registry import DEFAULT_MODEL

    return DEFAULT_MODEL


def resolve_model(name: str | None, checkpoint: str | None):
    """(model, label): a registry model / checkpoint through `load_model`, or the synthetic stand-in."""
    if name == SYNTHETIC:
        return synthetic_model(), SYNTHETIC
    from pylic.models import load_model

    return load_model(name, checkpoint), label_for(name, checkpoint)
