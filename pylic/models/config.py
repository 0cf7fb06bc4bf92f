"""`HyperpriorConfig`: the layer widths of a scale-hyperprior model, as plain data (no torch), so the deploy
manifest and the board's package reader can hold it without importing the training graph."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from pylic.errors import ModelError

Activation = Literal["gdn", "relu"]
MAX_WIDTH = 1 << 16  # no real layer comes near; bounds what a crafted manifest or checkpoint can ask for


def _width(v: object, key: str) -> int:
    """A JSON width must be a plain integer: bools, floats (1e400, 128.0) and strings are refused."""
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= MAX_WIDTH:
        raise ModelError(f"config {key}: width {v!r} is not an integer in 1..{MAX_WIDTH}")
    return v


@dataclass(frozen=True)
class HyperpriorConfig:
    """Widths of every layer. `ga`/`gs` are the hidden widths of the main transforms, `ha`/`hs`
    those of the hyper transforms, `z` the hyper-latent channels and `M` the latent channels."""

    M: int
    ga: tuple[int, int, int]
    gs: tuple[int, int, int]
    ha: tuple[int, int]
    hs: tuple[int, int]
    z: int
    activation: Activation = "gdn"

    @classmethod
    def uniform(cls, N: int, M: int, activation: Activation = "gdn", hyper_N: int | None = None) -> "HyperpriorConfig":
        """The CompressAI shape: every hidden layer has N channels (the hyperprior `hyper_N`)."""
        h = hyper_N if hyper_N is not None else N
        return cls(M=M, ga=(N, N, N), gs=(N, N, N), ha=(h, h), hs=(h, h), z=h, activation=activation)

    def __post_init__(self) -> None:
        if self.activation not in ("gdn", "relu"):
            raise ModelError(f"activation must be 'gdn' or 'relu', not {self.activation!r}")
        widths = [self.M, self.z, *self.ga, *self.gs, *self.ha, *self.hs]
        if any(int(w) != w or w < 1 for w in widths):
            raise ModelError(f"all widths must be positive integers: {self}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "HyperpriorConfig":
        """Strict: unknown keys, wrong tuple lengths and non-integer widths raise ModelError."""
        if not isinstance(d, dict):
            raise ModelError(f"model config must be an object, not {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ModelError(f"unknown model config keys: {sorted(unknown)}")
        d = dict(d)
        for k, n in (("ga", 3), ("gs", 3), ("ha", 2), ("hs", 2)):
            v = d.get(k)
            if not isinstance(v, (list, tuple)) or len(v) != n:
                raise ModelError(f"config {k}: expected {n} widths, got {v!r}")
            d[k] = tuple(_width(w, k) for w in v)
        for k in ("M", "z"):
            if k in d:
                _width(d[k], k)
        try:
            return cls(**d)
        except TypeError as exc:
            raise ModelError(f"model config: {exc}") from None
