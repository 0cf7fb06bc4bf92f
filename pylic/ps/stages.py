"""The per-patch stage graph of the hardware codec: one definition shared by the xmodel segmentation, the
board/host lane scheduler and the performance model.

A transform's ops are cut into stages where the executing unit changes:
- `dpu`: a maximal run of conv/deconv/relu ops (one xmodel subgraph; ReLU is fused by the DPU compiler);
- `gdn`: one GDN/iGDN op (an HLS kernel in the fabric);
- `ps`: an op the ARM cores run (`abs` before h_a), and the entropy-coding steps the pipeline adds.

`encode_stages` / `decode_stages` give the order one patch goes through on each side. Pure Python over
anything with `.op` and `.name` attributes (the deploy manifest's `OpSpec`), so it imports without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Protocol, Sequence

Unit = Literal["dpu", "gdn", "ps"]

DPU_OPS = frozenset({"conv", "deconv", "relu"})
FABRIC_OPS = frozenset({"gdn", "igdn"})
PS_OPS = frozenset({"abs"})

ENCODE_TRANSFORMS = ("g_a", "h_a", "h_s")
DECODE_TRANSFORMS = ("h_s", "g_s")


class HasOp(Protocol):
    op: str
    name: str


@dataclass(frozen=True)
class Stage:
    """One unit of work for one patch: `ops` are op names of `transform` in order (empty for coding stages)."""

    name: str
    unit: Unit
    transform: str
    ops: tuple[str, ...]


def unit_of(op: str) -> Unit:
    if op in DPU_OPS:
        return "dpu"
    if op in FABRIC_OPS:
        return "gdn"
    if op in PS_OPS:
        return "ps"
    raise ValueError(f"op {op!r} has no hardware unit (known: {sorted(DPU_OPS | FABRIC_OPS | PS_OPS)})")


def transform_stages(transform: str, ops: Sequence[HasOp]) -> tuple[Stage, ...]:
    """Cut one transform into stages; DPU segments are numbered `<transform>.dpu<k>` in order."""
    stages: list[Stage] = []
    run: list[str] = []
    n_dpu = 0

    def close_run() -> None:
        nonlocal n_dpu
        if run:
            stages.append(Stage(f"{transform}.dpu{n_dpu}", "dpu", transform, tuple(run)))
            n_dpu += 1
            run.clear()

    for op in ops:
        unit = unit_of(op.op)
        if unit == "dpu":
            run.append(op.name)
            continue
        close_run()
        stages.append(Stage(op.name, unit, transform, (op.name,)))
    close_run()
    return tuple(stages)


def dpu_segments(transforms: Mapping[str, Sequence[HasOp]]) -> tuple[Stage, ...]:
    """Every DPU segment of the package (one xmodel each), in transform order g_a, h_a, h_s, g_s."""
    return tuple(s for t in ("g_a", "h_a", "h_s", "g_s") if t in transforms
                 for s in transform_stages(t, transforms[t]) if s.unit == "dpu")


def _coding(name: str) -> Stage:
    return Stage(name, "ps", "entropy", ())


def encode_stages(transforms: Mapping[str, Sequence[HasOp]]) -> tuple[Stage, ...]:
    """pixels in -> g_a -> h_a -> z coding -> h_s -> y coding, for one patch."""
    return ((Stage("pixels_in", "ps", "pixels", ()),)
            + transform_stages("g_a", transforms["g_a"]) + transform_stages("h_a", transforms["h_a"])
            + (_coding("z_encode"),) + transform_stages("h_s", transforms["h_s"]) + (_coding("y_encode"),))


def decode_stages(transforms: Mapping[str, Sequence[HasOp]]) -> tuple[Stage, ...]:
    """z decoding -> h_s -> y decoding -> g_s -> pixels out, for one patch."""
    return ((_coding("z_decode"),) + transform_stages("h_s", transforms["h_s"]) + (_coding("y_decode"),)
            + transform_stages("g_s", transforms["g_s"]) + (Stage("pixels_out", "ps", "pixels", ()),))
