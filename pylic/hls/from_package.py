"""HLS kernels of a deploy package: the GDN/iGDN parameters the emulator (and so the board) runs, with the int8
vectors each layer really sees when the emulator codes the real photographs.

Vectors: the 3 centre 256x256 patches of `pylic.eval.photos.vector_patches` go
through the emulator's analysis; its latents (integers, saturated to int8 by the DPU: the entropy coder gives
them back unchanged) go through its synthesis, as the decoder runs it. Each GDN step's input is captured on
the way, so every kernel's golden output is `gdn_fixed(input, params)` with the package's own parameters.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from pylic.deploy.store import DeployPackage, load
from pylic.errors import PylicError
from pylic.eval import photos
from pylic.fixed.gdn_params import GdnLayerParams

LABEL_PREFIX = "pkg-"
CODED = ("g_a", "g_s")  # the transforms the vectors run through (the hyperprior holds no GDN)


def as_package(package: str | Path | DeployPackage) -> DeployPackage:
    """A package, a package folder or a shipped package's name, loaded and validated."""
    from pylic.zoo.packages import resolve_package

    return package if isinstance(package, DeployPackage) else load(resolve_package(package))


def package_label(package: str | Path | DeployPackage) -> str:
    """Default build-folder name of a package: `pkg-<short content hash>`."""
    return LABEL_PREFIX + as_package(package).short_hash


def package_params(package: str | Path | DeployPackage) -> dict[str, GdnLayerParams]:
    """Every GDN/iGDN layer's golden parameters read straight from the package (no emulator run)."""
    from pylic.deploy import gdn_io

    pkg = as_package(package)
    out = {}
    for t in CODED:
        for op in pkg.manifest.transforms[t]:
            if op.op in ("gdn", "igdn"):
                tables = {k: np.asarray(pkg.arrays[f"{op.name}.{k}"]) for k in gdn_io.ARRAYS}
                out[op.name] = gdn_io.from_package(op.name, op.op == "igdn", op.in_channels, op.input, op.output,
                                                   op.gdn, tables)
    return out


class _Recorder:
    """Stands in for one GdnStep while the vectors run: keeps its int8 input as [n, H*W, C], then runs it."""

    def __init__(self, step, store: list[np.ndarray]):
        self.step, self.store = step, store

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[:2]
        self.store.append(x.to(torch.int8).permute(0, 2, 3, 1).reshape(n, -1, c).numpy().copy())
        return self.step(x)


def package_vectors(pkg: DeployPackage) -> tuple[dict[str, GdnLayerParams], dict[str, np.ndarray]]:
    """(params, vectors) of every GDN/iGDN layer in execution order: the parameters of the emulator's own
    GDN steps and the int8 input [3, pixels, C] each step sees while the emulator codes the 3 centre
    `photos.PATCH`-pixel patches of the real photographs (`photos.vector_patches()`)."""
    from pylic.runtime.emulator import EmulatorBackend, GdnStep

    patches = photos.vector_patches()
    emu = EmulatorBackend(pkg)
    try:
        params: dict[str, GdnLayerParams] = {}
        store: dict[str, list[np.ndarray]] = {}
        for t, program in emu.programs.items():
            for i, step in enumerate(program):
                if not isinstance(step, GdnStep):
                    continue
                if t not in CODED:
                    raise PylicError(f"{step.params.name}: a GDN in {t} is not supported (only g_a/g_s)")
                params[step.params.name] = step.params
                program[i] = _Recorder(step, store.setdefault(step.params.name, []))
        if not params:
            raise PylicError("the package has no GDN/iGDN layers: nothing to put in HLS")
        x = photos.as_batch(patches)
        emu.synthesis(emu.analysis(x))  # latents: integers at position 0, saturated int8, coded losslessly
    finally:
        emu.close()  # the emulator is thrown away: its wrapped programs never run again
    return params, {name: np.concatenate(store[name]) for name in params}


def generate_for_package(package: str | Path | DeployPackage, out: str | Path, par: int = 1,
                         label: str | None = None) -> Path:
    """Render the GDN/iGDN kernels and the patch buffer of a deploy package into `<out>/<label>/` (default
    label `pkg-<short hash>`); the build's manifest.json records the package's content hash."""
    from pylic.hls.project import render_build

    pkg = as_package(package)
    label = label or package_label(pkg)
    params, vectors = package_vectors(pkg)
    formats = {name: p.fmt.to_dict() for name, p in params.items()}
    distinct = {json.dumps(f, sort_keys=True) for f in formats.values()}
    info = {"model": label, "package": pkg.content_hash, "precision": pkg.manifest.precision,
            "format": next(iter(formats.values())) if len(distinct) == 1 else formats}
    return render_build(Path(out) / label, label, params, vectors, par, info, patch=pkg.manifest.patch)
