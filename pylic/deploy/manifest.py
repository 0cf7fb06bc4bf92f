"""The deploy package's manifest as typed, frozen dataclasses (strict from_dict: unknown or missing keys are
errors), and `DeployError`.

Array naming convention in weights.npz: `<op>.weight`, `<op>.bias` (int8), `<op>.gamma`, `<op>.beta`,
`<op>.lut_a`, `<op>.lut_b` (int32) for GDN/iGDN, and `eb.*` / `gc.*` for the entropy-model tables.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from pylic.errors import PylicError
from pylic.models.config import HyperpriorConfig

FORMAT = "pylic-deploy"
FORMAT_VERSION = 1


class DeployError(PylicError):
    """A deploy package is missing, malformed, tampered with, of another format version, or inconsistent."""


MAX_INT = 1 << 31  # every integer field of a manifest (widths, positions, shifts, sizes) is far inside int32
MAX_STR = 256


def _scalar_ok(kind: str, v: Any) -> bool | None:
    """Does `v` have the JSON type that annotation `kind` names? None when `kind` is not a scalar type (a nested
    object: its own parser checks it). bool is not an int here, nor is 128.0; floats must be finite."""
    if kind == "None":
        return v is None
    if kind == "int":
        return isinstance(v, int) and not isinstance(v, bool) and -MAX_INT <= v <= MAX_INT
    if kind == "float":
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if kind == "str":
        return isinstance(v, str) and len(v) <= MAX_STR
    if kind == "dict" or kind.startswith("dict["):
        return isinstance(v, dict)
    return None


def _check_field(f: dataclasses.Field, v: Any, where: str) -> None:
    kinds = [k.strip() for k in str(f.type).split("|")]
    verdicts = [_scalar_ok(k, v) for k in kinds]
    if any(x is None for x in verdicts) or any(verdicts):
        return
    raise DeployError(f"{where}: field {f.name!r} has a bad value {v!r} (expected {f.type})")


def _strict(cls, d: Any, where: str):
    """Build dataclass `cls` from dict `d`, refusing unknown and missing keys and values of the wrong JSON type
    (bool for int, non-finite or out-of-range numbers) with a DeployError."""
    if not isinstance(d, dict):
        raise DeployError(f"{where}: expected an object, got {type(d).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    if set(d) - names:
        raise DeployError(f"{where}: unknown keys {sorted(set(d) - names)}")
    if required - set(d):
        raise DeployError(f"{where}: missing keys {sorted(required - set(d))}")
    for f in dataclasses.fields(cls):
        if f.name in d:
            _check_field(f, d[f.name], where)
    try:
        return cls(**d)
    except (TypeError, ValueError) as exc:
        raise DeployError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class OpSpec:
    """One hardware op. Positions (`input`, `output`, `weight`, `bias`) are int8 fix positions.

    conv/deconv carry kernel geometry, weight/bias positions and the derived DPU shifts; gdn/igdn carry the
    golden kernel's scalar parameters in `gdn`; relu/abs only carry channels and positions.
    """

    op: str
    name: str
    in_channels: int
    out_channels: int
    input: int
    output: int
    kernel: int = 0
    stride: int = 1
    padding: int = 0
    output_padding: int = 0
    weight: int | None = None
    bias: int | None = None
    shift_cut: int | None = None
    shift_bias: int | None = None
    gdn: dict | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, d: Any, where: str) -> "OpSpec":
        return _strict(cls, d, where)


@dataclass(frozen=True)
class PixelSpec:
    """PS-side pixel conversion (`pylic.ps.pixels`). In: q = sat8(floor(p * 2**input_position / input_scale + 1/2)
    - input_offset). Out: p = clip(floor(q * output_scale * 2**-output_position + 1/2) + output_offset, 0, 255).
    The offsets and output scale are written only when they differ from the `unsigned` convention (scale 255,
    offset 0), so packages made before they existed keep their manifest bytes and content hash."""

    input_scale: int
    input_position: int
    output_position: int
    input_offset: int = 0
    output_scale: int = 255
    output_offset: int = 0

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for k, default in (("input_offset", 0), ("output_scale", 255), ("output_offset", 0)):
            if d[k] == default:
                del d[k]
        return d


@dataclass(frozen=True)
class EntropySpec:
    """Scalars of the entropy models; the tables live in weights.npz (`eb.*`, `gc.*`).

    z is coded as round(z - median) with integer medians; y with the zero-mean Gaussian whose scale index is
    #{k < levels-1 : q > gc.thresholds[k]} for the h_s output q (int8 at `sigma_position`), which equals
    CompressAI's `build_indexes` on the dequantized scale."""

    z_channels: int
    y_levels: int
    scale_bound: float
    sigma_position: int
    precision: int = 16


@dataclass(frozen=True)
class Manifest:
    format: str
    format_version: int
    config: HyperpriorConfig
    patch: int
    precision: str  # "mixed" (32-bit GDN golden ops) or "single" (8-bit GDN)
    pixels: PixelSpec
    transforms: dict[str, tuple[OpSpec, ...]]
    entropy: EntropySpec
    arrays: dict[str, dict]  # name -> {"dtype": "int8", "shape": [...]}
    source: dict = field(default_factory=dict)  # provenance: float model hash, quant plan notes

    def to_dict(self) -> dict:
        return {
            "format": self.format, "format_version": self.format_version, "config": self.config.to_dict(),
            "patch": self.patch, "precision": self.precision, "pixels": self.pixels.to_dict(),
            "transforms": {t: [op.to_dict() for op in ops] for t, ops in self.transforms.items()},
            "entropy": dataclasses.asdict(self.entropy), "arrays": self.arrays, "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: Any) -> "Manifest":
        if not isinstance(d, dict):
            raise DeployError("manifest: expected a JSON object")
        if d.get("format") != FORMAT:
            raise DeployError(f"not a pylic deploy package (format {d.get('format')!r})")
        if d.get("format_version") != FORMAT_VERSION:
            raise DeployError(f"deploy package format version {d.get('format_version')!r}; this pylic reads "
                              f"version {FORMAT_VERSION} (re-export the package)")
        raw = _strict(cls, d, "manifest")
        try:
            config = HyperpriorConfig.from_dict(dict(raw.config))
        except (PylicError, TypeError, KeyError, ValueError) as exc:
            raise DeployError(f"manifest config: {exc}") from None
        if not isinstance(raw.transforms, dict):
            raise DeployError("manifest transforms: expected an object")
        transforms = {}
        for t, ops in raw.transforms.items():
            if not isinstance(ops, list):
                raise DeployError(f"manifest transforms.{t}: expected a list")
            transforms[t] = tuple(OpSpec.from_dict(op, f"{t}[{i}]") for i, op in enumerate(ops))
        if not isinstance(raw.arrays, dict) or not isinstance(raw.source, dict):
            raise DeployError("manifest arrays/source: expected objects")
        return dataclasses.replace(
            raw, config=config, transforms=transforms,
            pixels=_strict(PixelSpec, raw.pixels, "pixels"), entropy=_strict(EntropySpec, raw.entropy, "entropy"))
