"""`invoke export`: a quantized folder (from `invoke quantize`) -> a deploy package folder named by its hash."""

from __future__ import annotations

from pathlib import Path

from pylic.deploy.export import build_package
from pylic.deploy.store import save
from pylic.runtime.float_backend import state_hash


def run_export(quantized: str | Path, dest: str | Path = "packages", patch: int = 256) -> Path:
    """Build, validate and atomically write the package; returns its folder (`<dest>/<short hash>`)."""
    from pylic.quant.tasks import load_quantized

    model, plan = load_quantized(quantized)
    pkg = build_package(model, plan, patch=patch,
                        source={"float_model_hash": state_hash(model).hex()})
    return save(pkg, dest)
