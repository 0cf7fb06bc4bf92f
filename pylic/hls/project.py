"""Build steps over a model: generate every HLS kernel folder (`generate`; for a deploy package
`pylic.hls.from_package.generate_for_package`, both through `render_build`) and check them (`csim`).

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
from pylic.fixed import activations as act
from pylic.fixed.formats import int8
from pylic.fixed.gdn_params import GdnFormat, GdnLayerParams, export_gdn, quantize_gdn
from pylic.hls import csim as csim_mod
from pylic.hls.gdn_codegen import generate_gdn
from pylic.hls.patch_codegen import generate_patch_buffer
from pylic.hls.render import write_text

SYNTHETIC = "synthetic"  # seeded stand-in model (perturbed GDNs) for CI without trained weights


def label_for(name: str | None, checkpoint: str | None) -> str:
    """Build-folder name of a model: its registry name, else the checkpoint's file stem (its folder's name
    for generic stems such as runs/hp-base/checkpoint.pt -> hp-base)."""
    if name:
        return name
    if checkpoint:
        path = Path(checkpoint)
        return path.parent.name if path.stem in ("checkpoint", "model", "weights") and path.parent.name else path.stem
    from pylic.models.registry import DEFAULT_MODEL

    return DEFAULT_MODEL


def resolve_model(name: str | None, checkpoint: str | None):
    """(model, label): a registry model / checkpoint through `load_model`, or the synthetic stand-in."""
    if name == SYNTHETIC:
        from pylic.fixed.synthetic import synthetic_model

        return synthetic_model(), SYNTHETIC
    from pylic.models import load_model

    return load_model(name, checkpoint), label_for(name, checkpoint)


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


def generate_for(name: str | None, checkpoint: str | None, out: str | Path, par: int = 1,
                 package: str | Path | None = None) -> Path:
    """`generate` for a model named on the command line, or `generate_for_package` for a package folder."""
    _no_model_with_package(name, checkpoint, package)
    if package:
        from pylic.hls.from_package import generate_for_package

        return generate_for_package(package, out, par)
    model, label = resolve_model(name, checkpoint)
    return generate(model, out, label, par=par)


def layer_params(model, fmt: GdnFormat | None = None, acts=None):
    """Calibrated fixed-point parameters of every GDN layer, plus the activations they came from."""
    fmt = fmt or GdnFormat()
    acts = acts if acts is not None else act.collect(model, act.calibration_patches())
    positions = act.calibrate(acts)
    modules = dict(act.gdn_modules(model))
    params = {}
    for name in acts:
        beta, gamma, inverse = export_gdn(modules[name])
        params[name] = quantize_gdn(name, beta, gamma, inverse, *positions[name], fmt)
    return params, acts


def generate(model, out: str | Path, label: str, fmt: GdnFormat | None = None, par: int = 1,
             prepared: tuple[dict, dict] | None = None) -> Path:
    """Render all GDN/iGDN kernels (3 real 256x256 patches of vectors each) and the patch buffer.
    `prepared` = `layer_params(model, fmt)` when the caller already has it."""
    fmt = fmt or GdnFormat()
    params, acts = prepared if prepared is not None else layer_params(model, fmt)
    center = list(act.VECTOR_INDICES)  # the 3 center patches, one per photo
    vectors = {name: int8(p.in_frac).quantize(acts[name].inputs[center]).astype(np.int8)
               .reshape(len(center), -1, p.channels) for name, p in params.items()}
    return render_build(Path(out) / label, label, params, vectors, par, {"model": label, "format": fmt.to_dict()})


def render_build(root: Path, label: str, params: dict[str, GdnLayerParams], vectors: dict[str, np.ndarray],
                 par: int, info: dict, patch: int = act.PATCH) -> Path:
    """Render one GDN/iGDN kernel per layer of `params` (vectors[name]: int8 [n, pixels, C], the n patches of
    `act.PATCH` pixels the layer saw) and the patch buffer (`patch` x `patch` windows of the real photos), then
    `manifest.json`: `info` (what the build was made from), PAR, every kernel's kernel.json and file hashes.
    A GDN kernel's buffers are sized for one `patch` x `patch` patch."""
    root.mkdir(parents=True, exist_ok=True)
    kernels = []
    for name, p in tqdm(params.items(), desc="gen-hls", unit="kernel"):
        x_q = vectors[name]
        per_patch = x_q.shape[1] * patch * patch // (act.PATCH * act.PATCH)
        kernels.append(generate_gdn(root, p, x_q, source=label, par=par, pixels_per_patch=per_patch))
    frames = [act.real_image(n) for n in act.IMAGE_NAMES]
    kernels.append(generate_patch_buffer(root, frames, patch=patch))
    manifest = {**info, "par": par, "kernels": [asdict(k) for k in kernels], "files": _hashes(root)}
    write_text(root / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
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
