"""The real photographs every HLS build and GDN analysis uses: scikit-image's astronaut, coffee and chelsea
(bundled with scikit-image, so CI needs no data folder), and the fixed 256x256 patches cut from them."""

from __future__ import annotations

import numpy as np

from pylic.errors import PylicError

PATCH = 256
IMAGE_NAMES = ("astronaut", "coffee", "chelsea")


def real_image(name: str) -> np.ndarray:
    """A photograph shipped with scikit-image (uint8 HWC RGB)."""
    import skimage.data

    if name not in IMAGE_NAMES:
        raise PylicError(f"unknown test image {name!r}; choose from {IMAGE_NAMES}")
    return np.ascontiguousarray(getattr(skimage.data, name)()[..., :3])


def crops(image: np.ndarray, size: int = PATCH, where: str = "center") -> list[np.ndarray]:
    """Deterministic size x size crops: `center` (one) or `corners` (four)."""
    h, w = image.shape[:2]
    if h < size or w < size:
        raise PylicError(f"image {h}x{w} is smaller than a {size}x{size} patch")
    if where == "center":
        origins = [((h - size) // 2, (w - size) // 2)]
    elif where == "corners":
        origins = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size)]
    else:
        raise PylicError(f"unknown crop placement {where!r}")
    return [image[y:y + size, x:x + size] for y, x in origins]


def vector_patches() -> list[np.ndarray]:
    """The csim vectors: one 256x256 center patch of each real photo (3 patches)."""
    return [crops(real_image(n), where="center")[0] for n in IMAGE_NAMES]


def calibration_patches() -> list[np.ndarray]:
    """Calibration set: per photo its four corner patches, then its center (vector) patch (15 patches)."""
    out = []
    for n in IMAGE_NAMES:
        img = real_image(n)
        out += crops(img, where="corners") + crops(img, where="center")
    return out


VECTOR_INDICES = (4, 9, 14)  # where `vector_patches()` sit inside `calibration_patches()`


def as_batch(patches: list[np.ndarray]) -> np.ndarray:
    """HWC uint8 patches -> one uint8 [n, 3, P, P] batch (the quantizer's and emulator's layout)."""
    return np.ascontiguousarray(np.stack([p.transpose(2, 0, 1) for p in patches]))
