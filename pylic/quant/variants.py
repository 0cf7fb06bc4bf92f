"""Precision choices measured one at a time: PTQ of one float model under several `QuantConfig`s, each exported
to a deploy package and run through the bit-exact emulator on Kodak, so every line of `docs/quantization.md`'s
precision table is one variant against the calibrated baseline (same model, calibration patches and images)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Mapping

import numpy as np
from tqdm import tqdm

from pylic.codec import Codec
from pylic.errors import PylicError
from pylic.imageio import write_file
from pylic.quant.plan import QuantConfig
from pylic.train.data import DEFAULT_TRAIN_DIR


def scale_index_reach(package) -> dict[str, int]:
    """How many of the Gaussian scale table's indexes an int8 σ at the package's position can select."""
    from pylic.ps.prior import index_lut

    lut = index_lut(package.arrays["gc.thresholds"])
    return {"levels": int(package.manifest.entropy.y_levels), "reachable": int(len(np.unique(lut))),
            "sigma_position": int(package.manifest.entropy.sigma_position), "max_index": int(lut.max())}


def parse_variant(text: str) -> tuple[str, dict]:
    """`name:key=value,key=value` over QuantConfig's fields (ints, or `none` for a calibrated position)."""
    name, _, body = text.partition(":")
    fields = {f.name: str(f.type) for f in dataclasses.fields(QuantConfig)}
    out: dict = {}
    for part in filter(None, body.split(",")):
        key, sep, value = part.partition("=")
        if not sep or key not in fields:
            raise PylicError(f"variant {text!r}: {key!r} is not a QuantConfig field ({', '.join(sorted(fields))})")
        kind = fields[key]
        try:
            out[key] = (None if value.lower() == "none" else value.lower() in ("1", "true", "yes") if kind == "bool"
                        else int(value) if kind.startswith("int") else value)
        except ValueError:
            raise PylicError(f"variant {text!r}: {key} takes an integer, not {value!r}") from None
    return name, out


def compare_variants(model: str, variants: Mapping[str, dict], images: Mapping[str, np.ndarray],
                     data: str | Path = DEFAULT_TRAIN_DIR, calib: int = 32, out: str | Path | None = None,
                     progress: bool = True) -> dict:
    """PTQ `model` once per variant (QuantConfig overrides), emulate each package on `images`; bpp/PSNR per image
    and their means, the σ position and how many scale indexes it reaches."""
    from pylic.deploy.export import build_package
    from pylic.eval.rd import evaluate_codec, summary
    from pylic.models.registry import load_model
    from pylic.quant.calibrate import calibrate, calibration_patches
    from pylic.runtime.emulator import EmulatorBackend

    float_model = load_model(model)
    patches = calibration_patches(data, count=calib)
    rows = []
    for name, overrides in tqdm(variants.items(), desc="variants", disable=not progress):
        plan = calibrate(float_model, patches, QuantConfig(**overrides))
        pkg = build_package(float_model, plan, source={"variant": name})
        res = evaluate_codec(Codec(EmulatorBackend(pkg)), dict(images), progress=False)
        rows.append({"variant": name, "config": dataclasses.asdict(plan.config), "notes": list(plan.notes),
                     "scale_index": scale_index_reach(pkg), **summary(res),
                     "per_image": [{"name": r.name, "bpp": r.bpp, "psnr": r.psnr} for r in res]})
    rep = {"model": model, "images": list(images), "calibration_patches": int(len(patches)), "rows": rows}
    if out is not None:
        write_file(out, json.dumps(rep, indent=1) + "\n")
    return rep


def variants_table(rep: dict) -> str:
    """Markdown: one line per variant, Δ against the first (the baseline)."""
    base = rep["rows"][0]
    lines = ["| variant | σ position | scale indexes reached | bpp | PSNR (dB) | Δbpp | ΔPSNR (dB) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rep["rows"]:
        si = r["scale_index"]
        lines.append(f"| {r['variant']} | {si['sigma_position']} | {si['reachable']} of {si['levels']} | "
                     f"{r['bpp']:.4f} | {r['psnr']:.3f} | {r['bpp'] / base['bpp'] - 1:+.2%} | "
                     f"{r['psnr'] - base['psnr']:+.3f} |")
    return "\n".join(lines)
