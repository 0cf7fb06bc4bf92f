"""Vitis-AI-style int8 quantization: rounding rules, DPU requantization and shift limits, min/max calibration
(PTQ), fake-quant simulation and QAT, with GDN kept at 32 bits (mixed) or 8 bits (single precision)."""

from pylic.lazy import lazy_getattr

# `calibrate` is not re-exported: it is also the name of its submodule, and a lazy package attribute would be
# the function or the module depending on import order. Use `from pylic.quant.calibrate import calibrate`.
_EXPORTS = {"calibration_patches": "pylic.quant.calibrate", "LayerPlan": "pylic.quant.plan",
            "QuantConfig": "pylic.quant.plan", "QuantPlan": "pylic.quant.plan", "QuantError": "pylic.quant.rounding"}
__getattr__ = lazy_getattr(__name__, _EXPORTS)  # lazy: `requant`/`rounding` are numpy-only, calibrate needs torch

__all__ = ["LayerPlan", "QuantConfig", "QuantError", "QuantPlan", "calibration_patches",
           "run_quantize"]


def run_quantize(*args, **kwargs):
    """See `pylic.quant.tasks.run_quantize`."""
    from pylic.quant.tasks import run_quantize as impl

    return impl(*args, **kwargs)
