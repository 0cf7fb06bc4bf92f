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


def run_publish(quantized: str | Path, name: str, float_model: str = "", description: str = "",
                lmbda: float | None = None, patch: int = 256) -> Path:
    """Export and put the package into the zoo (`pylic/zoo/packages`) under `name`; returns the recipe path.
    The recipe records the quantization summary and the float model it came from (a registry name)."""
    import json

    from pylic.errors import ModelError
    from pylic.zoo.packages import publish_package

    folder = run_export(quantized, Path(quantized) / "package", patch)
    summary_path = Path(quantized) / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    lam = lmbda if lmbda is not None else summary.get("lmbda")
    if lam is None:
        raise ModelError(f"{quantized}: the quantization summary does not say which lambda; pass --lmbda")
    recipe = {"float_model": float_model or summary.get("source"), "quantize": summary}
    return publish_package(folder, name, float(lam), description, recipe)
