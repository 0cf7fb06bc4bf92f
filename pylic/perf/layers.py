"""The layer table the performance model works on: every op of every transform with its spatial size for one
patch, taken from a deploy package's manifest, a registry model's widths, or a plain spec (N, M, pruning).

Op names follow the deploy manifest (`g_a.0`, `g_a.1`, …, `h_a.abs`), so `pylic.ps.stages` cuts a table built
from widths exactly as it cuts a package. No torch here: packages and registry models are imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from pylic.errors import PylicError

TRANSFORMS = ("g_a", "h_a", "h_s", "g_s")
# Input grid of each transform as a divisor of the patch side (g_a sees pixels, h_a/g_s see y, h_s sees z).
_GRID_DIVISOR = {"g_a": 1, "h_a": 16, "h_s": 64, "g_s": 16}


@dataclass(frozen=True)
class Op:
    """The fields of the manifest's `OpSpec` the model needs (duck-typed: an `OpSpec` works as well)."""

    op: str
    name: str
    in_channels: int
    out_channels: int
    kernel: int = 0
    stride: int = 1


@dataclass(frozen=True)
class Layer:
    """One op of one patch on its grid: input HxW, output HxW."""

    transform: str
    name: str
    op: str
    cin: int
    cout: int
    kernel: int
    stride: int
    h_in: int
    w_in: int
    h_out: int
    w_out: int

    @property
    def macs(self) -> int:
        """Real MACs: a conv per output pixel, a transposed conv per input pixel (each scattered k x k)."""
        if self.op == "conv":
            return self.h_out * self.w_out * self.cout * self.cin * self.kernel ** 2
        if self.op == "deconv":
            return self.h_in * self.w_in * self.cin * self.cout * self.kernel ** 2
        return 0


def ops_from_widths(M: int, ga: Sequence[int], gs: Sequence[int], ha: Sequence[int], hs: Sequence[int], z: int,
                    activation: str = "gdn") -> dict[str, tuple[Op, ...]]:
    """The ScaleHyperprior op lists (`pylic.models.hyperprior`) as the deploy export names them."""
    act_a, act_s = ("gdn", "igdn") if activation == "gdn" else ("relu", "relu")

    def chain(t: str, kind: str, act: str, widths: Sequence[int], cin: int, cout: int) -> list[Op]:
        ops, c = [], cin
        for i, w in enumerate(widths):
            ops += [Op(kind, f"{t}.{2 * i}", c, w, 5, 2), Op(act, f"{t}.{2 * i + 1}", w, w)]
            c = w
        return ops + [Op(kind, f"{t}.{2 * len(widths)}", c, cout, 5, 2)]

    h_a = [Op("abs", "h_a.abs", M, M), Op("conv", "h_a.0", M, ha[0], 3, 1), Op("relu", "h_a.1", ha[0], ha[0]),
           Op("conv", "h_a.2", ha[0], ha[1], 5, 2), Op("relu", "h_a.3", ha[1], ha[1]),
           Op("conv", "h_a.4", ha[1], z, 5, 2)]
    h_s = [Op("deconv", "h_s.0", z, hs[0], 5, 2), Op("relu", "h_s.1", hs[0], hs[0]),
           Op("deconv", "h_s.2", hs[0], hs[1], 5, 2), Op("relu", "h_s.3", hs[1], hs[1]),
           Op("conv", "h_s.4", hs[1], M, 3, 1), Op("relu", "h_s.5", M, M)]
    return {"g_a": tuple(chain("g_a", "conv", act_a, ga, 3, M)), "h_a": tuple(h_a), "h_s": tuple(h_s),
            "g_s": tuple(chain("g_s", "deconv", act_s, gs, M, 3))}


def ops_from_config(cfg: Any) -> dict[str, tuple[Op, ...]]:
    """From a `HyperpriorConfig` (or anything with its fields)."""
    return ops_from_widths(cfg.M, cfg.ga, cfg.gs, cfg.ha, cfg.hs, cfg.z, cfg.activation)


@dataclass(frozen=True)
class Spec:
    """A plain width spec: hidden width N, latent M, hyper width (default N), filter pruning ratio of the main
    transforms' hidden layers (the paper prunes filters, so a pruned layer keeps round(N x (1 - prune)))."""

    N: int
    M: int
    prune: float = 0.0
    hyper: int | None = None
    activation: str = "gdn"

    def ops(self) -> dict[str, tuple[Op, ...]]:
        n = max(1, round(self.N * (1 - self.prune)))
        h = self.hyper or self.N
        return ops_from_widths(self.M, (n, n, n), (n, n, n), (h, h), (h, h), h, self.activation)

    @property
    def label(self) -> str:
        return f"N={self.N},M={self.M}" + (f",prune={self.prune:g}" if self.prune else "") + (
            f",hyper={self.hyper}" if self.hyper else "")


# The paper's three configurations. Its Table II hyper-transform cost is the same for all three, so the hyper width
# is held at the teacher's 192; M = 320 for all (Student-160's Table II g_a cost matches N=160, M=320). Unpruned:
# Table II's main-transform GFLOPs match (for Student-160) the unpruned shapes.
PAPER_CONFIGS: dict[str, Spec] = {
    "Teacher-192": Spec(192, 320, hyper=192), "Student-160": Spec(160, 320, hyper=192),
    "Student-128": Spec(128, 320, hyper=192),
}


def parse_spec(text: str) -> Spec:
    """`N=160,M=320,prune=0.27[,hyper=192]`, or a paper configuration name such as `Student-160`."""
    if text in PAPER_CONFIGS:
        return PAPER_CONFIGS[text]
    fields: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip()
        try:
            if not sep or key not in ("N", "M", "prune", "hyper", "activation"):
                raise ValueError
            fields[key] = value if key == "activation" else float(value) if key == "prune" else int(value)
        except ValueError:
            raise PylicError(f"spec {text!r}: expected N=..,M=..[,prune=..][,hyper=..] or one of "
                             f"{', '.join(PAPER_CONFIGS)}") from None
    if "N" not in fields or "M" not in fields:
        raise PylicError(f"spec {text!r}: N and M are required")
    if not 0 <= fields.get("prune", 0.0) < 1:
        raise PylicError(f"spec {text!r}: prune must be in [0, 1)")
    return Spec(**fields)


def _out_size(op: str, size: int, kernel: int, stride: int) -> int:
    if op == "conv":
        return (size + 2 * (kernel // 2) - kernel) // stride + 1
    if op == "deconv":  # CompressAI deconv: padding k//2, output_padding stride-1
        return size * stride
    return size


def layer_table(transforms: Mapping[str, Sequence[Any]], patch: int = 256, height: int | None = None,
                width: int | None = None) -> list[Layer]:
    """Every op with its grid, for a `patch` x `patch` input (or a height x width frame coded whole)."""
    h0, w0 = height or patch, width or patch
    if h0 % 64 or w0 % 64:
        raise PylicError(f"input {h0}x{w0} must be a multiple of 64 on each side")
    table = []
    for t in TRANSFORMS:
        h, w = h0 // _GRID_DIVISOR[t], w0 // _GRID_DIVISOR[t]
        for op in transforms[t]:
            ho, wo = _out_size(op.op, h, op.kernel, op.stride), _out_size(op.op, w, op.kernel, op.stride)
            table.append(Layer(t, op.name, op.op, op.in_channels, op.out_channels, op.kernel, op.stride, h, w, ho, wo))
            h, w = ho, wo
    return table


def load_ops(package: str | None = None, model: str | None = None, spec: str | None = None
             ) -> tuple[str, dict[str, tuple[Any, ...]], dict[str, dict]]:
    """(label, op lists, GDN formats by op name) from exactly one of a package, a registry model or a spec."""
    if sum(x is not None for x in (package, model, spec)) != 1:
        raise PylicError("give exactly one of --package, --model, --spec")
    if package is not None:
        from pylic.deploy import load
        from pylic.zoo.packages import resolve_package

        man = load(resolve_package(package)).manifest
        formats = {op.name: op.gdn["format"] for ops in man.transforms.values() for op in ops
                   if op.gdn and "format" in op.gdn}
        return str(package), dict(man.transforms), formats
    if model is not None:
        from pylic.models.registry import get_spec

        return model, ops_from_config(get_spec(model).config), {}
    s = parse_spec(spec or "")
    return s.label, s.ops(), {}
