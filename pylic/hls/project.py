"""Build steps: generate every HLS kernel folder of a deploy package (`generate_for`; a bare model is first
quantized into one, so every kernel comes from the one package path) and check them (`csim`).

Layout of a build (deterministic: same model and options -> same bytes):
    <out>/<label>/manifest.json              kernels, formats, estimates, sha256 of every generated file
    <out>/<label>/<kernel>/kernel.json       one folder per kernel: src/, tb/, tb_data/, run_hls.tcl
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pylic.errors import PylicError
from pylic.eval import photos
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.hls import csim as csim_mod
from pylic.hls.gdn_codegen import generate_gdn
from pylic.hls.patch_codegen import generate_patch_buffer
from pylic.imageio import write_file
from pylic.models.synthetic import label_for, resolve_model

def _no_model_with_package(name: str | None, checkpoint: str | None, package) -> None:
    if package and (name or checkpoint):
        raise PylicError("--package builds a deploy package's kernels; it cannot be combined with "
                         "--model/--checkpoint (choose one)")


def build_root(out: str | Path, name: str | None, checkpoint: str | None,
               package: str | Path | None = None) -> Path:
    """Build folder of a model (`<out>/<label>`) or of a deploy package (`<out>/pkg-<short hash>`)."""
    _no_model_with_package(name, checkpoint, package)
    if package:
        from pylic.hls.from_package import package_label

        return Path(out) / package_label(package)
    return Path(out) / label_for(name, checkpoint)


def quantize_model(model, label: str):
    """The deploy package of a float model: PTQ (min/max, the quantizer's default config) on the 15 calibration
    patches of the real photographs. HLS has one input, a package; this is how a bare model becomes one."""
    from pylic.deploy.export import build_package
    from pylic.eval.photos import as_batch, calibration_patches
    from pylic.quant.calibrate import calibrate
    from pylic.quant.plan import QuantConfig

    model.eval()
    model.update(force=True)
    plan = calibrate(model, as_batch(calibration_patches()), QuantConfig())
    return build_package(model, plan, source={"model": label, "calibration": "PTQ min/max, 15 photo patches"})


def generate_for(name: str | None, checkpoint: str | None, out: str | Path, par: int = 1,
                 package: str | Path | None = None) -> Path:
    """The kernels of a deploy package (`--package`), or of a model (`--model`/`--checkpoint`) after
    `quantize_model` turns it into one; a model's build lands in `<out>/<label>`."""
    _no_model_with_package(name, checkpoint, package)
    from pylic.hls.from_package import generate_for_package

    if package:
        return generate_for_package(package, out, par)
    model, label = resolve_model(name, checkpoint)
    return generate_for_package(quantize_model(model, label), out, par, label=label)


def render_build(root: Path, label: str, params: dict[str, GdnLayerParams], vectors: dict[str, np.ndarray],
                 par: int, info: dict, patch: int = photos.PATCH) -> Path:
    """Render one GDN/iGDN kernel per layer of `params` (vectors[name]: int8 [n, pixels, C], the n patches of
    `photos.PATCH` pixels the layer saw) and the patch buffer (`patch` x `patch` windows of the real photos), then
    `manifest.json`: `info` (what the build was made from), PAR, every kernel's kernel.json and file hashes.
    A GDN kernel's buffers are sized for one `patch` x `patch` patch."""
    root.mkdir(parents=True, exist_ok=True)
    kernels = []
    for name, p in tqdm(params.items(), desc="gen-hls", unit="kernel"):
        x_q = vectors[name]
        per_patch = x_q.shape[1] * patch * patch // (photos.PATCH * photos.PATCH)
        kernels.append(generate_gdn(root, p, x_q, source=label, par=par, pixels_per_patch=per_patch))
    frames = [photos.real_image(n) for n in photos.IMAGE_NAMES]
    kernels.append(generate_patch_buffer(root, frames, patch=patch))
    manifest = {**info, "par": par, "kernels": [asdict(k) for k in kernels], "files": _hashes(root)}
    write_file(root / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n", skip_identical=True)
    return root


GENERATED_DIRS = ("src", "tb", "tb_data")


def _hashes(root: Path) -> dict[str, str]:
    """sha256 of every generated file (not build products), sorted, paths relative to root."""
    files = []
    for folder in sorted(p.parent for p in root.glob("*/kernel.json")):
        files += [folder / "kernel.json", folder / "run_hls.tcl"]
        for d in GENERATED_DIRS:
            files += sorted(p for p in (folder / d).rglob("*") if p.is_file())
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def csim(root: str | Path) -> list[csim_mod.CsimResult]:
    """Compile and run every kernel's testbench under `root`; raises nothing for mismatches (see results)."""
    if not Path(root).is_dir():
        raise PylicError(f"no HLS build at {root}; run `invoke gen-hls` first")
    return csim_mod.csim_all(root)
