"""Shipped deploy packages: int8 models that run through the bit-exact emulator (and the board).

Each lives in `pylic/zoo/packages/<short hash>/` (manifest.json + weights.npz, exactly as `invoke export` writes
it) with a recipe `pylic/zoo/packages/<name>.json` beside it that names it, says how it was made and records its
content hash, so a `.plic` made by a shipped package is decoded without being told which one.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from pylic.deploy.atomic import publish_dir, temp_dir_beside
from pylic.imageio import write_file
from pylic.deploy.store import MANIFEST, load
from pylic.errors import ModelError

PACKAGES_DIR = Path(__file__).resolve().parent / "packages"


@dataclass(frozen=True)
class ShippedPackage:
    name: str
    folder: Path
    content_hash: str
    lmbda: float
    description: str

    @property
    def model_hash(self) -> bytes:
        return bytes.fromhex(self.content_hash)[:16]


def shipped_packages(root: Path = PACKAGES_DIR) -> dict[str, ShippedPackage]:
    out = {}
    for recipe in sorted(root.glob("*.json")):
        meta = json.loads(recipe.read_text())
        out[meta["name"]] = ShippedPackage(meta["name"], root / meta["folder"], meta["content_hash"],
                                           float(meta["lmbda"]), meta.get("description", ""))
    return out


def is_package_folder(path: str | Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def resolve_package(ref: str | Path) -> Path:
    """A shipped package's name or a package folder -> the folder (not loaded or validated yet)."""
    shipped = shipped_packages()
    if str(ref) in shipped:
        return shipped[str(ref)].folder
    if is_package_folder(ref):
        return Path(ref)
    raise ModelError(f"{ref}: neither a shipped package ({', '.join(sorted(shipped)) or 'none'}) nor a deploy "
                     "package folder (manifest.json + weights.npz)")


def package_for_hash(model_hash: bytes) -> ShippedPackage | None:
    """The shipped package whose content hash starts with a bitstream's 16-byte model hash."""
    for pkg in shipped_packages().values():
        if pkg.model_hash == model_hash:
            return pkg
    return None


def publish_package(folder: str | Path, name: str, lmbda: float, description: str = "", recipe: dict | None = None,
                    root: Path = PACKAGES_DIR) -> Path:
    """Copy a validated package folder into the zoo under its short hash and write its recipe."""
    pkg = load(folder)
    dest = root / pkg.short_hash
    if not dest.exists():
        tmp = temp_dir_beside(dest)
        shutil.copytree(folder, tmp, dirs_exist_ok=True)
        publish_dir(tmp, dest)
    meta = {"name": name, "folder": pkg.short_hash, "content_hash": pkg.content_hash, "lmbda": lmbda,
            "precision": pkg.manifest.precision, "config": pkg.manifest.config.to_dict(),
            "description": description, "recipe": recipe or {}}
    path = root / f"{name}.json"
    write_file(path, json.dumps(meta, indent=2) + "\n")
    return path


DEFAULT_PACKAGE = "pylic-student-v2-q2-int8"  # the shipped hardware-ready student (demo, board notebooks, overlay)
