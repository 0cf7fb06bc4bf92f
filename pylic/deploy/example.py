"""A tiny, deterministic quantized model and deploy package (tests, docs, quick demos): the seeded synthetic
scale hyperprior of `pylic.models.synthetic`, PTQ-calibrated on patches of scikit-image's bundled photographs."""

from __future__ import annotations

import numpy as np

from pylic.deploy.store import DeployPackage
from pylic.models.hyperprior import ScaleHyperprior
from pylic.quant.plan import QuantConfig, QuantPlan


def photo_patches(patch: int = 256) -> np.ndarray:
    """The top-left patch of three real photographs, uint8 [3, 3, P, P]."""
    from pylic.eval.images import load_skimage

    imgs = load_skimage(("astronaut", "coffee", "chelsea")).values()
    return np.ascontiguousarray(np.stack([im[:patch, :patch].transpose(2, 0, 1) for im in imgs]))


def tiny_quantized(seed: int = 0, N: int = 8, M: int = 16, precision: str = "mixed"
                   ) -> tuple[ScaleHyperprior, QuantPlan, DeployPackage]:
    from pylic.deploy.export import build_package
    from pylic.models.synthetic import synthetic_model
    from pylic.quant.calibrate import calibrate

    model = synthetic_model(seed, N=N, M=M)
    model.update(force=True)
    plan = calibrate(model, photo_patches(), QuantConfig(precision=precision))  # type: ignore[arg-type]
    return model, plan, build_package(model, plan, source={"example": f"synthetic seed={seed} N={N} M={M}"})
