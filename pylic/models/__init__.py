"""Scale-hyperprior models (teacher and students) and the one model registry."""

from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.models.registry import MODELS, ModelSpec, get_spec, load_model

__all__ = ["HyperpriorConfig", "ScaleHyperprior", "MODELS", "ModelSpec", "get_spec", "load_model"]
