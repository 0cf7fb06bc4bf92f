"""Vitis-AI-style int8 quantization: rounding rules, DPU requantization and shift limits, min/max calibration
(PTQ), fake-quant simulation and QAT, with GDN kept at 32 bits (mixed) or 8 bits (single precision)."""

from pylic.quant.calibrate import calibrate, calibration_patches
from pylic.quant.plan import LayerPlan, QuantConfig, QuantPlan
from pylic.quant.rounding import QuantError

__all__ = ["LayerPlan", "QuantConfig", "QuantError", "QuantPlan", "calibrate", "calibration_patches",
           "run_quantize"]


def run_quantize(*args, **kwargs):
    """See `pylic.quant.tasks.run_quantize`."""
    from pylic.quant.tasks import run_quantize as impl

    return impl(*args, **kwargs)
