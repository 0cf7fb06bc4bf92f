"""Structural validation of a deploy package: every shape against the declared widths, every position chain,
every DPU limit, every dtype range. Readers (emulator, codegen, driver) may then trust the package."""

from __future__ import annotations

import dataclasses

import numpy as np

from pylic.deploy import entropy, gdn_io
from pylic.deploy.manifest import DeployError, Manifest, OpSpec
from pylic.quant.requant import SHIFT_BIAS_MAX, SHIFT_CUT_MAX, SHIFT_CUT_MIN, shift_bias_min
from pylic.quant.rounding import POSITION_RANGE
from pylic.ps.pixels import CONVENTIONS, convention_of

TRANSFORMS = ("g_a", "h_a", "h_s", "g_s")
LATENT_POSITION = 0  # y and z are integers (DESIGN §5 integer prior path); format v1 requires it
MAX_KERNEL, MAX_STRIDE = 16, 8  # B4096 conv limits (HW_FLOW.md §4)
MAX_PATCH = 2048  # bounds every per-patch allocation a package can cause (a batch of 8 RGB patches: 100 MB)


def _fail(where: str, what: str) -> DeployError:
    return DeployError(f"{where}: {what}")


def _pos(v, where: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not POSITION_RANGE[0] <= v <= POSITION_RANGE[1]:
        raise _fail(where, f"fix position {v!r} is not an integer in {POSITION_RANGE}")
    return v


def expected_widths(m: Manifest) -> dict[str, list[int]]:
    """Output channels of the conv/deconv layers of each transform, from the declared config."""
    c = m.config
    return {"g_a": [*c.ga, c.M], "h_a": [*c.ha, c.z], "h_s": [*c.hs, c.M], "g_s": [*c.gs, 3]}


def transform_inputs(m: Manifest) -> dict[str, tuple[int, int]]:
    """(channels, position) each transform reads."""
    last = {t: m.transforms[t][-1] for t in TRANSFORMS}
    return {"g_a": (3, m.pixels.input_position), "h_a": (m.config.M, last["g_a"].output),
            "h_s": (m.config.z, last["h_a"].output), "g_s": (m.config.M, last["g_a"].output)}


def _check_types(op: OpSpec, where: str) -> None:
    for f in dataclasses.fields(op):
        v = getattr(op, f.name)
        ok = {"op": isinstance(v, str), "name": isinstance(v, str), "gdn": v is None or isinstance(v, dict)}.get(
            f.name, v is None or (isinstance(v, int) and not isinstance(v, bool)))
        if not ok or (f.name in ("in_channels", "out_channels") and not 1 <= v <= 1 << 16):
            raise _fail(where, f"field {f.name!r} has a bad value {v!r}")


def _check_conv(op: OpSpec, arrays: dict[str, np.ndarray], where: str) -> None:
    for k in ("kernel", "stride", "padding", "output_padding"):
        if not isinstance(getattr(op, k), int):
            raise _fail(where, f"{k} must be an integer")
    if not (1 <= op.kernel <= MAX_KERNEL and 1 <= op.stride <= MAX_STRIDE and 0 <= op.padding < op.kernel):
        raise _fail(where, f"kernel {op.kernel} / stride {op.stride} / padding {op.padding} outside DPU limits")
    if op.op == "conv" and op.output_padding != 0 or op.op == "deconv" and not 0 <= op.output_padding < op.stride:
        raise _fail(where, f"bad output_padding {op.output_padding}")
    w_pos, b_pos = _pos(op.weight, where), _pos(op.bias, where)
    sc, sb = w_pos + op.input - op.output, w_pos + op.input - b_pos
    if (op.shift_cut, op.shift_bias) != (sc, sb):
        raise _fail(where, f"declared shifts {(op.shift_cut, op.shift_bias)} != computed {(sc, sb)}")
    if not SHIFT_CUT_MIN <= sc <= SHIFT_CUT_MAX or not shift_bias_min(sc) <= sb <= SHIFT_BIAS_MAX:
        raise _fail(where, f"shift_cut {sc} / shift_bias {sb} outside the DPU limits")
    w, b = arrays.get(f"{op.name}.weight"), arrays.get(f"{op.name}.bias")
    k = op.kernel
    shape = (op.out_channels, op.in_channels, k, k) if op.op == "conv" else (op.in_channels, op.out_channels, k, k)
    if w is None or b is None or w.dtype != np.int8 or b.dtype != np.int8:
        raise _fail(where, "needs int8 arrays <name>.weight and <name>.bias")
    if w.shape != shape or b.shape != (op.out_channels,):
        raise _fail(where, f"weight {w.shape} / bias {b.shape}, expected {shape} / ({op.out_channels},)")


def validate(m: Manifest, arrays: dict[str, np.ndarray]) -> None:
    """Raise DeployError on the first inconsistency."""
    if set(m.transforms) != set(TRANSFORMS):
        raise _fail("transforms", f"expected {TRANSFORMS}, got {tuple(m.transforms)}")
    if not isinstance(m.patch, int) or isinstance(m.patch, bool) or not 64 <= m.patch <= MAX_PATCH or m.patch % 64:
        raise _fail("patch", f"patch size {m.patch!r} must be a multiple of 64 in 64..{MAX_PATCH}")
    if m.precision not in ("mixed", "single"):
        raise _fail("precision", f"{m.precision!r} is not 'mixed' or 'single'")
    _pos(m.pixels.input_position, "pixels")
    px = m.pixels
    for side, scale, offset, pos in (("input", px.input_scale, px.input_offset, px.input_position),
                                     ("output", px.output_scale, px.output_offset, px.output_position)):
        if convention_of(scale, offset, pos) is None:
            raise _fail("pixels", f"{side} scale {scale} / offset {offset} at position {pos} is no pixel convention "
                                  f"({', '.join(CONVENTIONS)})")
    if any(not m.transforms[t] for t in TRANSFORMS):
        raise _fail("transforms", "every transform needs at least one op")
    for t in ("g_a", "h_a"):
        if m.transforms[t][-1].output != LATENT_POSITION or m.transforms[t][-1].op != "conv":
            raise _fail(t, f"must end with a conv at output position {LATENT_POSITION} (integer prior path)")
    if m.transforms["g_s"][-1].output != m.pixels.output_position:
        raise _fail("pixels", "output_position differs from g_s's output position")
    if m.transforms["h_a"][0].op != "abs":
        raise _fail("h_a", "must start with abs")
    used: set[str] = set()
    inputs = transform_inputs(m)
    widths = expected_widths(m)
    for t in TRANSFORMS:
        ch, pos = inputs[t]
        convs = []
        for i, op in enumerate(m.transforms[t]):
            where = f"{t}[{i}]"
            _check_types(op, where)
            where = f"{t}[{i}] {op.name}"
            if op.op not in ("conv", "deconv", "gdn", "igdn", "relu", "abs"):
                raise _fail(where, f"unknown op {op.op!r}")
            if not op.name.startswith(f"{t}.") or op.name.count(".") != 1:
                raise _fail(where, f"op names must look like '{t}.<n>'")
            if op.in_channels != ch or _pos(op.input, where) != pos:
                raise _fail(where, f"reads {op.in_channels} channels at position {op.input}, "
                                   f"previous op gives {ch} at {pos}")
            _pos(op.output, where)
            names = []
            if op.op in ("conv", "deconv"):
                _check_conv(op, arrays, where)
                convs.append(op.out_channels)
                names = [f"{op.name}.weight", f"{op.name}.bias"]
            else:
                if op.out_channels != op.in_channels:
                    raise _fail(where, "channel count must not change")
                if any(v is not None for v in (op.weight, op.bias, op.shift_cut, op.shift_bias)):
                    raise _fail(where, "only conv/deconv carry weight/bias positions and shifts")
            if op.op in ("relu", "abs"):
                if op.output != op.input or op.gdn is not None:
                    raise _fail(where, f"{op.op} keeps the input position and has no parameters")
                if op.op == "relu" and (i == 0 or m.transforms[t][i - 1].op not in ("conv", "deconv")):
                    raise _fail(where, "relu must follow a conv/deconv (fused on the DPU)")
                if op.op == "abs" and (t, i) != ("h_a", 0):
                    raise _fail(where, "abs only starts h_a")
            if op.op in ("gdn", "igdn"):
                if not isinstance(op.gdn, dict):
                    raise _fail(where, "needs gdn parameters")
                names = [f"{op.name}.{k}" for k in ("gamma", "beta", "lut_a", "lut_b")]
                for n in names:
                    if n not in arrays or arrays[n].dtype != np.int32:
                        raise _fail(where, f"needs int32 array {n}")
                gdn_io.from_package(op.name, op.op == "igdn", op.in_channels, op.input, op.output, op.gdn,
                                    {k: arrays[f"{op.name}.{k}"] for k in gdn_io.ARRAYS})
            used.update(names)
            ch, pos = op.out_channels, op.output
        if convs != widths[t]:
            raise _fail(t, f"layer widths {convs} do not match the declared config {widths[t]}")
    entropy.validate(m.entropy, arrays, m.config.z)
    if m.entropy.sigma_position != m.transforms["h_s"][-1].output:
        raise _fail("entropy", "sigma_position differs from h_s's output position")
    used.update(k for k in arrays if k.startswith(("eb.", "gc.")))
    if set(arrays) != used:
        raise _fail("weights.npz", f"arrays not used by any op: {sorted(set(arrays) - used)}")
