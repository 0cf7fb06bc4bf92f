"""Evaluation image sets: Kodak from ../shared/data when present, skimage's bundled photographs always."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pylic.imageio import read_image

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
KODAK_DIR = SHARED_DATA / "kodak"
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")


def kodak_available(root: Path = KODAK_DIR) -> bool:
    return len(list(root.glob("kodim*.png"))) == 24


def load_folder(root: str | Path, limit: int | None = None) -> dict[str, np.ndarray]:
    files = sorted(p for p in Path(root).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".ppm", ".bmp"))
    return {p.stem: read_image(p) for p in files[:limit]}


def load_kodak(limit: int | None = None, root: Path = KODAK_DIR) -> dict[str, np.ndarray]:
    return load_folder(root, limit)


def load_skimage(names: tuple[str, ...] = SKIMAGE_PHOTOS) -> dict[str, np.ndarray]:
    """Real RGB photographs shipped inside scikit-image (no download needed)."""
    from skimage import data

    return {n: np.ascontiguousarray(getattr(data, n)()[..., :3]) for n in names}
