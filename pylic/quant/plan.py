"""The quantization plan: one fix position per tensor and per conv weight/bias, plus the GDN precision.

Plain data (ints and strings), saved as JSON beside a quantized model; calibration produces it, QAT trains
with it, export turns it and the float weights into a deploy package.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pylic.quant.requant import check_shifts, shifts
from pylic.quant.rounding import QuantError, check_position

Precision = Literal["mixed", "single"]


@dataclass(frozen=True)
class QuantConfig:
    """Choices that are not calibrated.

    - precision: `mixed` = GDN/iGDN through the 32-bit golden ops (the paper's scheme), `single` = GDN at 8 bits
      (the ablation);
    - input_position: pixels enter as x = p/255 at this position (7: 7-bit pixels, p >= 254 saturate to 127);
    - output_position: position of g_s's output (7 by default; None = calibrated, which gives 6 for [0, 1]);
    - sigma_position: position of h_s's output σ (the Gaussian scale the PS indexes); None = calibrated (the shipped
      student packages have 3: σ saturates at 127/8 = 15.9); a pinned value trades σ resolution for range,
      measured in `docs/quantization.md` §10;
    - sigma_calibration: with no pinned sigma_position, `minmax` (where the largest σ fits) or `rate` (among that
      position and the next four, the one with the fewest bits for the calibration latents: `pylic.quant.sigma`);
    - sigma_table: the package's Gaussian scale table: `model` (CompressAI's 64 log steps 0.11..256, of which an
      int8 σ reaches about half) or `matched` (64 log-spaced steps on the int8 σ grid, every one reachable;
      `pylic.deploy.entropy.matched_scale_table`). Only the encoder's choice: the package carries the table;
    - pixels_in / pixels_out: the PS's pixel convention on each side (`pylic.ps.pixels.CONVENTIONS`): `unsigned`
      (p / 255, every package before this option) or `centred` (q = p - 128 in, p = q + 128 out: all 256 levels),
      folded into g_a.0 and g_s's last layer at export (`pylic.quant.pixel_fold`); PTQ only;
    - latent_position: position of y (g_a's last conv) and z (h_a's last conv). 0 is the integer prior path
      (DESIGN §5): the DPU itself emits rounded, saturated latents (deploy format v1 requires 0);
    - method: activation positions from `minmax` (the paper's calibration: the largest position at which the
      calibration maximum fits) or `mse` (the position among minmax..minmax+3 with the least quantization error on
      the calibration activations, trading clipped outliers for finer steps);
    - weights: weight positions from `minmax` (the largest weight fits, every package before this option) or `mse`
      (the position among minmax..minmax+2 with the least squared error of the int8 weights: a few outlier
      weights clip and every other weight gets finer steps; `docs/quantization.md` §10);
    - nonnegative_shift_bias: never give a bias more fraction bits than the accumulator (shift_bias >= 0). How
      the DPU realises a negative shift_bias is unconfirmed; the cost is a bias rounded to the accumulator's
      LSB, which is never coarser than the output's (shift_cut >= 0).
    """

    precision: Precision = "mixed"
    input_position: int = 7
    output_position: int | None = 7
    latent_position: int = 0
    sigma_position: int | None = None
    sigma_calibration: Literal["minmax", "rate"] = "minmax"
    sigma_table: Literal["model", "matched"] = "model"
    pixels_in: Literal["unsigned", "centred"] = "unsigned"
    pixels_out: Literal["unsigned", "centred"] = "unsigned"
    nonnegative_shift_bias: bool = True
    method: Literal["minmax", "mse"] = "minmax"
    weights: Literal["minmax", "mse"] = "minmax"

    def __post_init__(self) -> None:
        if self.precision not in ("mixed", "single"):
            raise QuantError(f"precision must be 'mixed' or 'single', not {self.precision!r}")
        for side in (self.pixels_in, self.pixels_out):
            if side not in ("unsigned", "centred"):
                raise QuantError(f"pixel convention must be 'unsigned' or 'centred', not {side!r}")
        if self.pixels_out == "centred" and self.output_position is None:
            raise QuantError("centred output pixels need a pinned output_position")
        if self.sigma_calibration not in ("minmax", "rate"):
            raise QuantError(f"sigma calibration must be 'minmax' or 'rate', not {self.sigma_calibration!r}")
        if self.sigma_table not in ("model", "matched"):
            raise QuantError(f"sigma table must be 'model' or 'matched', not {self.sigma_table!r}")
        if self.method not in ("minmax", "mse"):
            raise QuantError(f"calibration method must be 'minmax' or 'mse', not {self.method!r}")
        if self.weights not in ("minmax", "mse"):
            raise QuantError(f"weight positions must be 'minmax' or 'mse', not {self.weights!r}")
        for p in (self.input_position, self.latent_position, self.output_position, self.sigma_position):
            if p is not None:
                check_position(p)


@dataclass(frozen=True)
class LayerPlan:
    """Fix positions of one conv/deconv. `fp_in` is the position of the tensor it reads."""

    name: str
    kind: str
    fp_w: int
    fp_b: int
    fp_in: int
    fp_out: int
    relu: bool

    @property
    def shift_cut(self) -> int:
        return shifts(self.fp_w, self.fp_b, self.fp_in, self.fp_out)[0]

    @property
    def shift_bias(self) -> int:
        return shifts(self.fp_w, self.fp_b, self.fp_in, self.fp_out)[1]


@dataclass(frozen=True)
class QuantPlan:
    config: QuantConfig
    positions: dict[str, int]  # every activation tensor (op outputs and `<t>.in`)
    layers: dict[str, LayerPlan]  # every conv/deconv
    notes: tuple[str, ...] = field(default=())  # shift adjustments and saturation warnings

    def __post_init__(self) -> None:
        for p in self.positions.values():
            check_position(p)
        for lp in self.layers.values():
            for p in (lp.fp_w, lp.fp_b):
                check_position(p)
            if self.positions.get(lp.name) != lp.fp_out:
                raise QuantError(f"{lp.name}: output position {lp.fp_out} disagrees with the tensor's")
            check_shifts(lp.shift_cut, lp.shift_bias, lp.name)

    def to_dict(self) -> dict:
        return {"config": dataclasses.asdict(self.config), "positions": dict(self.positions),
                "layers": {k: dataclasses.asdict(v) for k, v in self.layers.items()}, "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, d: dict) -> "QuantPlan":
        try:
            unknown = set(d) - {"config", "positions", "layers", "notes"}
            if unknown:
                raise QuantError(f"unknown quant plan keys: {sorted(unknown)}")
            cfg = QuantConfig(**d["config"])
            layers = {k: LayerPlan(**v) for k, v in d["layers"].items()}
            return cls(cfg, {k: int(v) for k, v in d["positions"].items()}, layers, tuple(d.get("notes", ())))
        except (KeyError, TypeError) as exc:
            raise QuantError(f"malformed quant plan: {exc}") from None

    def save(self, path: str | Path) -> None:
        from pylic.imageio import write_file

        write_file(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> "QuantPlan":
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as exc:
            raise QuantError(f"cannot read quant plan {path}: {exc}") from None
