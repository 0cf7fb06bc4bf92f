"""Time of the PS (ARM Cortex-A53) stages of one patch: entropy coding, the prior path, pixel conversion.

time = values x measured host seconds per value x `a53_factor`. The host numbers are measured here by
`invoke bench` (`pylic.perf.measure`); the defaults below are one such run (2.6 GHz AMD EPYC, shared machine,
`pylic-student-q2`, kodim01 tiled to 1280x720, best of 2):
    y: 152 ns/symbol encode, 191 ns decode; z: 540 ns encode (includes decoding z_hat back), 171 ns decode;
    numpy uint8 LUT pass: 1.2 ns/value.

`a53_factor` (host time -> one A53 core) is an assumption, not a measurement: 2.6 GHz / 1.2 GHz = 2.2 from
the clock, times 2-4 per clock (a dual-issue in-order A53 against an out-of-order x86 core on branchy scalar
code such as rANS) gives 4-9; 8 is used. A measurement on the board replaces it (`--a53-factor`).
The PS runs coding stages of different patches on its `ps_cores` cores in parallel (substreams are independent).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

HOST_S_PER_SYMBOL = {"y_encode": 152e-9, "y_decode": 191e-9, "z_encode": 540e-9, "z_decode": 171e-9}
HOST_S_PER_VALUE = 1.2e-9
A53_FACTOR = 8.0


@dataclass(frozen=True)
class PsCosts:
    """Host seconds per coded symbol (per step) and per element-wise value, and the host -> A53 factor."""

    s_per_symbol: dict
    s_per_value: float = HOST_S_PER_VALUE
    a53_factor: float = A53_FACTOR

    def to_dict(self) -> dict:
        return asdict(self)


def default_costs(a53_factor: float = A53_FACTOR, s_per_symbol: dict | None = None) -> PsCosts:
    return PsCosts(dict(s_per_symbol or HOST_S_PER_SYMBOL), HOST_S_PER_VALUE, a53_factor)


def costs_from_bench(path: str, a53_factor: float = A53_FACTOR) -> PsCosts:
    """The host numbers of an `invoke bench` JSON report (its `perf_inputs`) instead of the defaults above."""
    import json

    from pylic.errors import PylicError

    try:
        inputs = json.loads(open(path, encoding="utf-8").read())["perf_inputs"]
        return PsCosts(dict(inputs["entropy"]["s_per_symbol"]), float(inputs["s_per_value"]), a53_factor)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PylicError(f"{path}: not an `invoke bench` report with perf_inputs ({exc})") from None


def ps_stage_seconds(stage: str, patch: int, M: int, z_channels: int, costs: PsCosts) -> float:
    """A53 seconds of one PS stage (`pylic.ps.stages` names) for one patch."""
    y_values, z_values, px = M * (patch // 16) ** 2, z_channels * (patch // 64) ** 2, 3 * patch * patch
    host = {
        "pixels_in": px * costs.s_per_value,  # uint8 -> int8 LUT
        "pixels_out": px * costs.s_per_value,
        "h_a.abs": y_values * costs.s_per_value,
        "z_encode": z_values * costs.s_per_symbol["z_encode"],
        "z_decode": z_values * costs.s_per_symbol["z_decode"],
        # the scale index per y value (integer comparison against the scale table) is one more pass over y
        "y_encode": y_values * (costs.s_per_symbol["y_encode"] + costs.s_per_value),
        "y_decode": y_values * (costs.s_per_symbol["y_decode"] + costs.s_per_value),
    }
    if stage not in host:
        raise ValueError(f"no PS cost for stage {stage!r}")
    return host[stage] * costs.a53_factor
