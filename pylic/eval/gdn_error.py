"""Error of the fixed-point GDN against CompressAI's float `GDN.forward` on real activations.

For each internal format, every GDN/iGDN layer of a model runs on the int8 activations the model produces
on real photos; the float reference is `GDN.forward` on the *same* dequantized int8 input, so the table
measures the GDN approximation alone (not the DPU's input quantization). Metrics, pooled over layers:

- `exact`, `le1`: share of outputs equal to / within 1 of the ideal int8 output sat8(round_half_up(y * 2**p));
- `max_lsb`: largest |y_q - ideal| in int8 LSBs;
- `p999_abs`: 99.9th percentile of |y_q - y * 2**p| (unrounded reference; 0.5 is the rounding floor);
- `rel_rms`: ||y_q 2**-p - y|| / ||y||;
- `norm_rel_max`: largest relative error of the normaliser (beta + gamma x**2)**(-+1/2) itself.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pylic.eval import gdn_activations as act
from pylic.eval.photos import calibration_patches
from pylic.fixed.formats import int8
from pylic.fixed.gdn_golden import gdn_trace
from pylic.fixed.gdn_params import GdnFormat, quantize_gdn
from pylic.models.gdn import export_gdn, gdn_modules
from pylic.imageio import write_file

DEFAULT = GdnFormat()


def sweep_formats() -> list[tuple[str, GdnFormat]]:
    """The rows of the table: LUT sizes at the default internal format, then one knob at a time."""
    rows = [(f"LUT size {n}", dataclasses.replace(DEFAULT, lut_size=n)) for n in (4, 8, 16, 32, 64, 128)]
    rows += [(f"LUT entries {b} bit", dataclasses.replace(DEFAULT, lut_bits=b)) for b in (10, 12, 14, 24)]
    rows += [(f"interp offset {b} bit", dataclasses.replace(DEFAULT, interp_bits=b)) for b in (6, 8, 16)]
    rows += [(f"gamma/beta {b} bit", dataclasses.replace(DEFAULT, gamma_bits=b, beta_bits=b)) for b in (8, 12, 16)]
    rows += [(f"accumulator {b} bit", dataclasses.replace(DEFAULT, acc_bits=b)) for b in (24, 32, 48)]
    rows += [("paper-style 32-bit (acc32, g/b 31, lut 32x32, d16)",
              GdnFormat(lut_size=32, lut_bits=32, interp_bits=16, gamma_bits=31, beta_bits=31, acc_bits=32))]
    rows += [("all 8-bit (single precision)", GdnFormat.all_8bit())]
    return rows


@dataclass(frozen=True)
class LayerData:
    """One layer's int8 input, its float reference output and float parameters."""

    name: str
    inverse: bool
    in_frac: int
    out_frac: int
    beta: np.ndarray
    gamma: np.ndarray
    x_q: np.ndarray  # int8 [P, C]
    y_ref: np.ndarray  # float64 [P, C], GDN.forward on dequantized x_q


def prepare(model, images: list[np.ndarray] | None = None) -> list[LayerData]:
    """Activations on real photos, calibrated positions, and GDN.forward references."""
    import torch

    images = images if images is not None else calibration_patches()
    acts = act.collect(model, images)
    positions = act.calibrate(acts)
    modules = dict(gdn_modules(model))
    out = []
    for name, a in acts.items():
        in_frac, out_frac = positions[name]
        beta, gamma, inverse = export_gdn(modules[name])
        x_q = int8(in_frac).quantize(a.inputs).astype(np.int8)
        with torch.no_grad():
            xf = torch.from_numpy(x_q.astype(np.float32) * np.float32(2.0**-in_frac)).permute(0, 3, 1, 2)
            y_ref = modules[name](xf).permute(0, 2, 3, 1).double().numpy()
        c = beta.size
        out.append(LayerData(name, inverse, in_frac, out_frac, beta, gamma, x_q.reshape(-1, c), y_ref.reshape(-1, c)))
    return out


def layer_errors(data: LayerData, fmt: GdnFormat) -> dict:
    """Per-layer error arrays summarised (sums kept so layers can be pooled)."""
    params = quantize_gdn(data.name, data.beta, data.gamma, data.inverse, data.in_frac, data.out_frac, fmt)
    tr = gdn_trace(data.x_q, params)
    scale = 2.0**data.out_frac
    ideal = int8(data.out_frac).quantize(data.y_ref)
    lsb = np.abs(tr.y - ideal)
    unrounded = np.abs(tr.y - np.clip(data.y_ref * scale, -128, 127))
    x = data.x_q.astype(np.float64) * 2.0**-data.in_frac
    norm = data.beta + (x * x) @ data.gamma.T
    exact = np.sqrt(norm) if data.inverse else 1.0 / np.sqrt(norm)
    sign = 1 if data.inverse else -1
    approx = tr.r * 2.0 ** (sign * tr.exponent - params.lut.frac)
    nrel = np.abs(approx / exact - 1.0)
    return {
        "layer": data.name, "n": int(lsb.size), "exact": int((lsb == 0).sum()), "le1": int((lsb <= 1).sum()),
        "max_lsb": int(lsb.max()), "abs": unrounded.ravel(), "err2": float(((tr.y / scale - data.y_ref) ** 2).sum()),
        "ref2": float((data.y_ref**2).sum()), "norm_rel": nrel.ravel(),
    }


def rounding_floor(layers: list[LayerData]) -> float:
    """rel RMS of the ideal int8 output itself (an exact GDN, rounded and saturated): no format beats it."""
    err2 = ref2 = 0.0
    for d in layers:
        ideal = int8(d.out_frac).quantize(d.y_ref) * 2.0**-d.out_frac
        err2 += float(((ideal - d.y_ref) ** 2).sum())
        ref2 += float((d.y_ref**2).sum())
    return float(np.sqrt(err2 / ref2))


def summarise(parts: list[dict]) -> dict:
    n = sum(p["n"] for p in parts)
    abs_all = np.concatenate([p["abs"] for p in parts])
    nrel = np.concatenate([p["norm_rel"] for p in parts])
    return {
        "values": n,
        "exact_pct": 100.0 * sum(p["exact"] for p in parts) / n,
        "le1_pct": 100.0 * sum(p["le1"] for p in parts) / n,
        "worst_layer_le1_pct": min(100.0 * p["le1"] / p["n"] for p in parts),
        "max_lsb": max(p["max_lsb"] for p in parts),
        "p999_abs_lsb": float(np.quantile(abs_all, 0.999)),
        "rel_rms": float(np.sqrt(sum(p["err2"] for p in parts) / sum(p["ref2"] for p in parts))),
        "norm_rel_p999": float(np.quantile(nrel, 0.999)),
        "norm_rel_max": float(nrel.max()),
    }


def error_table(model, formats: list[tuple[str, GdnFormat]] | None = None,
                images: list[np.ndarray] | None = None) -> list[dict]:
    """One row per format: the pooled metrics over every GDN/iGDN layer of `model`."""
    layers = prepare(model, images)
    floor = rounding_floor(layers)
    rows = []
    for label, fmt in tqdm(formats or sweep_formats(), desc="GDN formats", unit="fmt"):
        parts = [layer_errors(d, fmt) for d in layers]
        rows.append({"label": label, "format": fmt.to_dict(), "rel_rms_floor": floor, **summarise(parts)})
    return rows


def to_markdown(rows: list[dict]) -> str:
    head = ("| setting | format | exact % | ≤1 LSB % | worst layer ≤1 LSB % | max LSB | p99.9 abs LSB | rel RMS "
            "| normaliser rel. err p99.9 / max |\n|---|---|---|---|---|---|---|---|---|\n")
    lines = [
        f"| {r['label']} | {GdnFormat.from_dict(r['format']).label()} | {r['exact_pct']:.3f} | {r['le1_pct']:.4f} "
        f"| {r['worst_layer_le1_pct']:.4f} | {r['max_lsb']} | {r['p999_abs_lsb']:.3f} | {r['rel_rms']:.2e} "
        f"| {r['norm_rel_p999']:.2e} / {r['norm_rel_max']:.2e} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def write_error_table(model, out_dir: str | Path, model_label: str) -> tuple[Path, Path]:
    """Compute the table and the RD cost, write `gdn_error_table.md` and `.json` (temp file, then rename)."""
    from pylic.eval.gdn_rd_cost import rd_cost, rd_markdown

    rows = error_table(model)
    rd = rd_cost(model, [("default", DEFAULT), ("all 8-bit", GdnFormat.all_8bit())])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = (f"Model: {model_label}; {rows[0]['values']} GDN/iGDN outputs from real photos per row; "
          f"rel RMS of an exact GDN rounded to int8 (the floor): {rows[0]['rel_rms_floor']:.2e}.\n\n"
          + to_markdown(rows) + "\n" + rd_markdown(rd))
    paths = []
    for name, text in (("gdn_error_table.md", md), ("gdn_error_table.json", json.dumps(
            {"model": model_label, "rows": rows, "rd": rd}, indent=1, sort_keys=True) + "\n")):
        write_file(out / name, text)
        paths.append(out / name)
    return paths[0], paths[1]


def write_error_table_for(name: str | None, checkpoint: str | None, out_dir: str | Path) -> tuple[Path, Path]:
    """`write_error_table` for a model named on the command line (or 'synthetic')."""
    from pylic.models.synthetic import resolve_model

    model, label = resolve_model(name, checkpoint)
    return write_error_table(model, out_dir, label)
