"""Min/max calibration (the paper's §III-D): run the float model over calibration patches along the codec's
integer path and place every fix position from the largest magnitude seen; then apply the pinned positions
(integer prior path, pixel input/output) and vai_q's shift-limit adjustments."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

from pylic.errors import PylicError
from pylic.quant.graph import GraphOp, conv_ops, input_tensor, model_ops
from pylic.quant.plan import LayerPlan, QuantConfig, QuantPlan
from pylic.quant.requant import adjust_positions
from pylic.quant.rounding import fix_position


def calibration_patches(folder: str | Path, count: int = 32, patch: int = 256) -> np.ndarray:
    """Deterministic calibration set: the centre patch of `count` images spread evenly over the sorted folder
    (uint8, [n, 3, P, P])."""
    from pylic.train.data import find_images

    files = find_images(folder)
    idx = np.unique(np.linspace(0, len(files) - 1, num=min(count, len(files))).round().astype(int))
    out = []
    for i in idx:
        img = np.asarray(Image.open(files[i]).convert("RGB"))
        h, w = img.shape[:2]
        if h < patch or w < patch:
            continue
        y0, x0 = (h - patch) // 2, (w - patch) // 2
        out.append(img[y0:y0 + patch, x0:x0 + patch].transpose(2, 0, 1))
    if not out:
        raise PylicError(f"no calibration image under {folder} is at least {patch}x{patch}")
    return np.ascontiguousarray(np.stack(out))


@torch.no_grad()
def collect_ranges(model: nn.Module, patches: np.ndarray, batch: int = 4,
                   samples: dict[str, list[np.ndarray]] | None = None, per_batch: int = 1 << 15) -> dict[str, float]:
    """max |x| of every op output, running g_a -> round -> h_a(|y_q|) -> round -> h_s and g_s(y_q).
    With `samples`, also keep a deterministic strided subsample (<= per_batch values per batch) of each output."""
    graph = model_ops(model)
    ranges: dict[str, float] = {}
    handles = []

    def hook(name):
        def fn(_m, _inp, out):
            ranges[name] = max(ranges.get(name, 0.0), float(out.detach().abs().max()))
            if samples is not None:
                flat = out.detach().reshape(-1)
                samples.setdefault(name, []).append(flat[:: max(1, flat.numel() // per_batch)].numpy().copy())
        return fn

    for ops in graph.values():
        for op in ops:
            if op.module is not None:
                handles.append(op.module.register_forward_hook(hook(op.name)))
    try:
        model.eval()
        for i in range(0, len(patches), batch):
            x = torch.from_numpy(np.ascontiguousarray(patches[i:i + batch])).float() / 255.0
            y = model.g_a(x)
            y_q = torch.round(y).clamp(-128, 127)
            z = model.h_a(torch.abs(y_q))
            model.h_s(torch.round(z).clamp(-128, 127))
            model.g_s(y_q)
    finally:
        for h in handles:
            h.remove()
    return ranges


def _observed(ops: list[GraphOp], i: int) -> str:
    """The tensor that shows op i's DPU output: a fused ReLU's output when one follows."""
    return ops[i + 1].name if i + 1 < len(ops) and ops[i + 1].kind == "relu" else ops[i].name


def _out_range(ops: list[GraphOp], i: int, ranges: dict[str, float]) -> float:
    return ranges[_observed(ops, i)]


def mse_position(values: np.ndarray, start: int, candidates: int = 4) -> int:
    """The position among start..start+candidates-1 (start = the min/max position) whose int8 quantization
    (half up, saturating) of `values` has the least squared error: finer steps traded against clipping
    outliers, like vai_q's error-minimising position search."""
    v = np.asarray(values, dtype=np.float64)
    errors = []
    for p in range(start, start + candidates):
        q = np.clip(np.floor(v * 2.0**p + 0.5), -128, 127) * 2.0**-p
        errors.append(float(np.mean((q - v) ** 2)))
    return start + int(np.argmin(errors))


def weight_mse_position(weight: np.ndarray, start: int, candidates: int = 3) -> int:
    """The weight position among start..start+candidates-1 whose int8 weights (half away from zero, as the
    export rounds them, saturating) have the least squared error."""
    w = np.asarray(weight, dtype=np.float64)
    errors = []
    for p in range(start, start + candidates):
        q = np.clip(np.sign(w) * np.floor(np.abs(w) * 2.0**p + 0.5), -128, 127) * 2.0**-p
        errors.append(float(np.mean((q - w) ** 2)))
    return start + int(np.argmin(errors))


def plan_from_ranges(model: nn.Module, ranges: dict[str, float], config: QuantConfig | None = None,
                     samples: dict[str, list[np.ndarray]] | None = None) -> QuantPlan:
    config = config or QuantConfig()
    graph = model_ops(model)
    last = {t: ops[-1].name for t, ops in graph.items()}
    pins = {last["g_a"]: config.latent_position, last["h_a"]: config.latent_position}
    if config.output_position is not None:
        pins[last["g_s"]] = config.output_position
    if config.sigma_position is not None:  # the DPU op whose (ReLU-fused) output is σ
        pins[[op.name for op in graph["h_s"] if op.kind in ("conv", "deconv")][-1]] = config.sigma_position
    pos: dict[str, int] = {"g_a.in": config.input_position}
    notes: list[str] = []
    for t, ops in graph.items():
        if t == "h_a":
            pos["h_a.in"] = pos[last["g_a"]]
        elif t == "h_s":
            pos["h_s.in"] = pos[last["h_a"]]
        elif t == "g_s":
            pos["g_s.in"] = pos[last["g_a"]]
        for i, op in enumerate(ops):
            if op.kind in ("relu", "abs"):
                pos[op.name] = pos[input_tensor(ops, i)]
            elif op.name in pins:
                pos[op.name] = pins[op.name]
                peak = _out_range(ops, i, ranges) * 2.0 ** pins[op.name]
                if peak > 127.5 and op.name != last["g_s"]:  # the image output is clamped to [0, 1] anyway
                    notes.append(f"{op.name}: pinned position {pins[op.name]} saturates (max |x| * 2**p = {peak:.1f})")
            else:
                pos[op.name] = fix_position(_out_range(ops, i, ranges))
                if config.method == "mse" and samples is not None:
                    pos[op.name] = mse_position(np.concatenate(samples[_observed(ops, i)]), pos[op.name])
    layers = {}
    for op, src, relu in conv_ops(graph):
        m = op.module
        m = getattr(m, "inner", m)
        fp_in, fp_out = pos[src], pos[op.name]
        fp_w = fix_position(float(m.weight.detach().abs().max()))
        if config.weights == "mse":
            fp_w = weight_mse_position(m.weight.detach().double().numpy(), fp_w)
        bias = m.bias.detach().abs().max() if m.bias is not None else 0.0
        fp_b = fix_position(float(bias), default=fp_w + fp_in)
        fp_w, fp_b, log = adjust_positions(fp_w, fp_b, fp_in, fp_out, op.name)
        notes += log
        if config.nonnegative_shift_bias and fp_b > fp_w + fp_in:
            notes.append(f"{op.name}: bias position {fp_b} -> {fp_w + fp_in} (no negative shift_bias)")
            fp_b = fp_w + fp_in
        layers[op.name] = LayerPlan(op.name, op.kind, fp_w, fp_b, fp_in, fp_out, relu)
    return QuantPlan(config, pos, layers, tuple(notes))


def calibrate(model: nn.Module, patches: np.ndarray, config: QuantConfig | None = None) -> QuantPlan:
    """PTQ calibration: ranges over `patches` (uint8 [n, 3, P, P]) -> a QuantPlan."""
    from pylic.quant.pixel_fold import fold_pixels

    config = config or QuantConfig()
    samples: dict[str, list[np.ndarray]] | None = {} if config.method == "mse" else None
    ranges = collect_ranges(model, patches, samples=samples)  # the float model's own tensors (pixels p / 255)
    # weight and bias positions of the layers a pixel convention folds are those of the folded weights
    folded = fold_pixels(model, config, config.output_position or 0)
    plan = plan_from_ranges(folded, ranges, config, samples)
    if config.sigma_position is None and config.sigma_calibration == "rate":
        from pylic.quant.sigma import rate_sigma_position

        sigma_op = [op.name for op in model_ops(model)["h_s"] if op.kind in ("conv", "deconv")][-1]
        start = plan.positions[sigma_op]
        best, bits = rate_sigma_position(model, patches, start, matched=config.sigma_table == "matched")
        pinned = plan_from_ranges(folded, ranges, dataclasses.replace(config, sigma_position=best), samples)
        note = f"{sigma_op}: sigma position {best} by rate (min/max {start}; y bits " + ", ".join(
            f"{p}: {b:.0f}" for p, b in bits.items()) + ")"
        plan = dataclasses.replace(pinned, config=config, notes=pinned.notes + (note,))
    return plan
