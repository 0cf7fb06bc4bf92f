"""CompressAI GDN layers of a model as plain numpy: which layers, and their effective beta/gamma."""

from __future__ import annotations

import numpy as np

from pylic.errors import ModelError


def gdn_modules(model) -> list[tuple[str, object]]:
    """(name, module) of every GDN in g_a then g_s, in execution order, e.g. ('g_a.1', GDN)."""
    from compressai.layers import GDN

    found = [(f"{prefix}.{i}", m) for prefix in ("g_a", "g_s")
             for i, m in enumerate(getattr(model, prefix)) if isinstance(m, GDN)]
    if not found:
        raise ModelError("model has no GDN layers in g_a/g_s (a ReLU model has nothing to put in HLS)")
    return found


def export_gdn(module) -> tuple[np.ndarray, np.ndarray, bool]:
    """Effective (beta [C], gamma [C, C], inverse) of a CompressAI `GDN`, through its reparametrizers.

    The stored tensors are reparametrized (sqrt-offset, lower-bounded), so they are not beta/gamma;
    `beta_reparam`/`gamma_reparam` apply exactly what `GDN.forward` applies. gamma[i, j]: i = output channel.
    """
    import torch

    for attr in ("beta", "gamma", "beta_reparam", "gamma_reparam", "inverse"):
        if not hasattr(module, attr):
            raise ModelError(f"{type(module).__name__} is not a CompressAI GDN (missing {attr!r})")
    with torch.no_grad():
        beta = module.beta_reparam(module.beta).double().cpu().numpy()
        gamma = module.gamma_reparam(module.gamma).double().cpu().numpy()
    if gamma.shape != (beta.size, beta.size):
        raise ModelError(f"GDN gamma shape {gamma.shape} does not match beta {beta.shape}")
    return beta, gamma, bool(module.inverse)
