"""The one model registry: the CLI, invoke tasks and the zoo all resolve names here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from pylic.errors import ModelError
from pylic.models.hyperprior import Activation, HyperpriorConfig, ScaleHyperprior

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "zoo" / "weights"

# CompressAI bmshj2018-hyperprior (MSE) qualities: (N, M, lambda), from CompressAI's zoo docs.
_COMPRESSAI_Q = {
    1: (128, 192, 0.0018), 2: (128, 192, 0.0035), 3: (128, 192, 0.0067), 4: (128, 192, 0.0130),
    5: (128, 192, 0.0250), 6: (192, 320, 0.0483), 7: (192, 320, 0.0932), 8: (192, 320, 0.18),
}


@dataclass(frozen=True)
class ModelSpec:
    """A named model: its architecture, the lambda it was trained for, and where its weights live."""

    name: str
    config: HyperpriorConfig
    lmbda: float
    description: str
    weights: str | None = None  # file name under pylic/zoo/weights, for models pylic ships
    compressai_quality: int | None = None  # CompressAI zoo quality, for upstream pretrained weights

    @property
    def weights_path(self) -> Path | None:
        return WEIGHTS_DIR / self.weights if self.weights else None


def _shipped() -> dict[str, ModelSpec]:
    """Shipped models are described by the JSON recipe written next to their weights."""
    specs: dict[str, ModelSpec] = {}
    for recipe in sorted(WEIGHTS_DIR.glob("*.json")):
        meta = json.loads(recipe.read_text())
        specs[meta["name"]] = ModelSpec(
            name=meta["name"],
            config=HyperpriorConfig.from_dict(meta["config"]),
            lmbda=float(meta["lmbda"]),
            description=meta.get("description", ""),
            weights=meta["weights"],
        )
    return specs


def _compressai() -> dict[str, ModelSpec]:
    return {
        f"bmshj2018-hyperprior-q{q}": ModelSpec(
            name=f"bmshj2018-hyperprior-q{q}",
            config=HyperpriorConfig.uniform(n, m),
            lmbda=lam,
            description=f"CompressAI pretrained hyperprior, quality {q} (needs network or --checkpoint)",
            compressai_quality=q,
        )
        for q, (n, m, lam) in _COMPRESSAI_Q.items()
    }


MODELS: dict[str, ModelSpec] = {**_shipped(), **_compressai()}
DEFAULT_MODEL = "pylic-hp-v2-q2"


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise ModelError(f"unknown model {name!r}; known models: {known}") from None


def load_checkpoint_state(path: str | Path, what: str = "weights") -> dict:
    """Load a state dict safely (never unpickles code); accepts bare state dicts and training checkpoints.
    `what` names the file in errors."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{what} file not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise ModelError(f"cannot read {what} {path}: {exc.__class__.__name__}: {exc}") from None
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ModelError(f"{path} does not hold a state dict")
    return {k: (v.float() if v.is_floating_point() else v) for k, v in obj.items()}


def state_for(ref: str, what: str = "weights") -> tuple[dict, Activation | None]:
    """(state dict, activation if known) of a weights/checkpoint file or, where no such file exists, of a
    registry model: what `--init` of the training commands accepts."""
    if not Path(ref).exists() and ref in MODELS:
        return load_model(ref).state_dict(), MODELS[ref].config.activation
    return load_checkpoint_state(ref, what), None


def load_model(name: str | None = None, checkpoint: str | Path | None = None) -> ScaleHyperprior:
    """A ready-to-code model (eval mode, CDF tables built) by registry name and/or checkpoint path."""
    if checkpoint is not None:
        activation = get_spec(name).config.activation if name else None  # None: from the GDN parameters
        model = ScaleHyperprior.from_state_dict(load_checkpoint_state(checkpoint), activation)
    else:
        spec = get_spec(name or DEFAULT_MODEL)
        if spec.weights_path is not None:
            model = ScaleHyperprior.from_state_dict(load_checkpoint_state(spec.weights_path), spec.config.activation)
        elif spec.compressai_quality is not None:
            model = _load_compressai_pretrained(spec)
        else:
            raise ModelError(f"model {spec.name} has no weights")
    model.eval()
    model.update(force=False)
    return model


def _load_compressai_pretrained(spec: ModelSpec) -> ScaleHyperprior:
    """CompressAI's zoo downloads its weights; offline this fails with a clear message."""
    from compressai.zoo import bmshj2018_hyperprior

    try:
        upstream = bmshj2018_hyperprior(quality=spec.compressai_quality, metric="mse", pretrained=True)
    except Exception as exc:
        raise ModelError(
            f"cannot fetch CompressAI weights for {spec.name} ({exc.__class__.__name__}); offline, download "
            "the bmshj2018-hyperprior checkpoint elsewhere and pass it with --checkpoint PATH"
        ) from None
    return ScaleHyperprior.from_state_dict(upstream.state_dict())
