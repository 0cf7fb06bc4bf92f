"""The deploy package as the PS reads it: `load` (manifest + arrays, fully validated, numpy only) and
`PsTables`, the tables every PS step uses, derived once from the package.

The reader itself lives in `pylic.deploy.store` (one definition for host and board); this module is the
board-side entry point and adds what the PS derives: the pixel LUT, the scale-index LUT, the z medians and the
entropy coder's CDF tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from pylic.deploy.store import DeployPackage, load as _load
from pylic.ps.pixels import input_lut
from pylic.ps.prior import index_lut

__all__ = ["DeployPackage", "PsTables", "load", "ps_tables"]

CDF_TABLES = ("eb.cdf", "eb.offset", "eb.cdf_length", "gc.cdf", "gc.offset", "gc.cdf_length")


def load(path: str | Path) -> DeployPackage:
    """Read and validate a package folder (any problem: `DeployError`)."""
    return _load(path)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PsTables:
    """Read-only tables of the PS steps (pixels_in, h_a.abs, z/y coding, pixels_out) of one package."""

    patch: int
    model_hash: bytes
    input_lut: np.ndarray  # int8 [256]: pixel -> DPU input
    output_position: int  # fix position of g_s's output (pixels_out)
    index_lut: np.ndarray  # int32 [256]: h_s output q + 128 -> Gaussian scale index
    z_medians: np.ndarray  # int32 [z channels]
    cdfs: Mapping[str, np.ndarray]  # the coder's tables, CDF_TABLES
    output_scale: int = 255  # pixels_out's scale and offset (the package's pixel convention; the board's
    output_offset: int = 0  # PsPath must pass them to pixels_out as the emulator does)


def ps_tables(pkg: DeployPackage) -> PsTables:
    m, arrays = pkg.manifest, pkg.arrays
    return PsTables(
        patch=m.patch, model_hash=pkg.model_hash,
        input_lut=_readonly(input_lut(m.pixels.input_position, m.pixels.input_scale, m.pixels.input_offset)),
        output_position=m.pixels.output_position, output_scale=m.pixels.output_scale,
        output_offset=m.pixels.output_offset,
        index_lut=_readonly(index_lut(arrays["gc.thresholds"])),
        z_medians=_readonly(np.asarray(arrays["eb.medians"], dtype=np.int32)),
        cdfs=MappingProxyType({k: arrays[k] for k in CDF_TABLES}))
