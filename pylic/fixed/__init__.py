"""Fixed-point golden ops: the one definition of GDN/iGDN and the patch buffer that HLS C++ must match.

Pure numpy: no torch import anywhere in this package (tests/test_hls_directed.py checks it). Float models,
photographs and the error analysis live in `pylic.models` and `pylic.eval`."""

from pylic.fixed.formats import FixedFormat, Rounding, int8, round_shift, saturate
from pylic.fixed.gdn_golden import GdnTrace, gdn_fixed, gdn_float, gdn_trace
from pylic.fixed.gdn_params import GdnFormat, GdnLayerParams, quantize_gdn
from pylic.fixed.pwl import PwlTable, build_table

__all__ = [
    "FixedFormat",
    "GdnFormat",
    "GdnLayerParams",
    "GdnTrace",
    "PwlTable",
    "Rounding",
    "build_table",
    "gdn_fixed",
    "gdn_float",
    "gdn_trace",
    "int8",
    "quantize_gdn",
    "round_shift",
    "saturate",
]
