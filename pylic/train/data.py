"""Random training crops from a folder of photographs, held in memory (small datasets, fast steps)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from pylic.errors import PylicError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp"}
DEFAULT_TRAIN_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "train"


def find_images(root: str | Path) -> list[Path]:
    root = Path(root)
    if not root.exists():
        raise PylicError(f"training data folder not found: {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise PylicError(f"no images under {root}")
    return files


class CropSampler:
    """Samples batches of random crops; each image is randomly downscaled (hides JPEG artefacts of
    sources like BSDS) and flipped. Deterministic for a given seed."""

    def __init__(self, root: str | Path, crop: int = 128, min_scale: float = 0.5, seed: int = 0):
        self.crop = crop
        self.min_scale = min_scale
        self.rng = np.random.default_rng(seed)
        self.images: list[Image.Image] = []
        for p in find_images(root):
            img = Image.open(p).convert("RGB")
            if min(img.size) >= crop:
                self.images.append(img)
        if not self.images:
            raise PylicError(f"no image under {root} is at least {crop}x{crop}")

    def _one(self) -> np.ndarray:
        img = self.images[self.rng.integers(len(self.images))]
        w, h = img.size
        lo = max(self.min_scale, self.crop / min(w, h))
        s = self.rng.uniform(lo, 1.0) if lo < 1.0 else 1.0
        if s < 1.0:
            img = img.resize((max(self.crop, round(w * s)), max(self.crop, round(h * s))), Image.BICUBIC)
        w, h = img.size
        x0 = int(self.rng.integers(w - self.crop + 1))
        y0 = int(self.rng.integers(h - self.crop + 1))
        a = np.asarray(img.crop((x0, y0, x0 + self.crop, y0 + self.crop)))
        if self.rng.random() < 0.5:
            a = a[:, ::-1]
        return a

    def batch(self, size: int) -> torch.Tensor:
        arr = np.stack([self._one() for _ in range(size)]).astype(np.float32) / 255.0
        return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()


class Prefetcher:
    """Prepares the next `depth` batches of a sampler in one background thread, so a GPU step does not wait
    for the crops (Pillow's resize releases the GIL). One worker taking the requests in order keeps the batch
    sequence identical to calling the sampler inline; a sampler error is raised by `batch()`."""

    def __init__(self, sampler: CropSampler, size: int, depth: int = 2):
        if depth < 1:
            raise PylicError(f"prefetch depth must be >= 1, got {depth}")
        self.sampler, self.size = sampler, size
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pylic-prefetch")
        self._ahead = deque(self._pool.submit(sampler.batch, size) for _ in range(depth))

    def batch(self) -> torch.Tensor:
        done = self._ahead.popleft()
        self._ahead.append(self._pool.submit(self.sampler.batch, self.size))
        return done.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "Prefetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def batch_source(sampler: CropSampler, size: int, prefetch: int = 0) -> Iterator[Callable[[], torch.Tensor]]:
    """The training loops' `next_batch()`: cropped `prefetch` batches ahead in a thread, or inline for 0."""
    if not prefetch:
        yield lambda: sampler.batch(size)
        return
    with Prefetcher(sampler, size, prefetch) as ahead:
        yield ahead.batch
