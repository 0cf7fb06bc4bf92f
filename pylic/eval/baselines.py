"""Classical anchors through Pillow: JPEG (libjpeg, 4:2:0, quality sweep) and JPEG 2000 (OpenJPEG)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from pylic.eval.metrics import bpp, psnr

JPEG_QUALITIES = (5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90)
JP2_RATIOS = (200, 150, 100, 75, 50, 40, 30, 20, 15, 10)  # compression ratios vs 24 bpp


def _roundtrip(image: np.ndarray, **save_kwargs) -> tuple[float, float]:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, **save_kwargs)
    decoded = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return bpp(len(buf.getvalue()), image), psnr(image, decoded)


def jpeg(image: np.ndarray, quality: int) -> tuple[float, float]:
    return _roundtrip(image, format="JPEG", quality=quality)


def jpeg2000(image: np.ndarray, ratio: float) -> tuple[float, float]:
    return _roundtrip(image, format="JPEG2000", quality_mode="rates", quality_layers=[ratio], irreversible=True)


def curve(images: dict[str, np.ndarray], codec: str) -> list[tuple[float, float]]:
    """Mean (bpp, PSNR) per setting over the images, PSNR averaged per image as CompressAI does."""
    fn, settings = (jpeg, JPEG_QUALITIES) if codec == "jpeg" else (jpeg2000, JP2_RATIOS)
    points = []
    for s in settings:
        res = np.array([fn(img, s) for img in images.values()])
        points.append((float(res[:, 0].mean()), float(res[:, 1].mean())))
    return sorted(points)
