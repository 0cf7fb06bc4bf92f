"""Scale-hyperprior models (teacher and students) and the one model registry. Imported lazily: the config
(`pylic.models.config`) is plain data, the model classes need torch."""

from pylic.lazy import lazy_getattr

_EXPORTS = {"HyperpriorConfig": "pylic.models.config", "ScaleHyperprior": "pylic.models.hyperprior",
            "MODELS": "pylic.models.registry", "ModelSpec": "pylic.models.registry",
            "get_spec": "pylic.models.registry", "load_model": "pylic.models.registry"}
__all__ = ["HyperpriorConfig", "ScaleHyperprior", "MODELS", "ModelSpec", "get_spec", "load_model"]
__getattr__ = lazy_getattr(__name__, _EXPORTS)
