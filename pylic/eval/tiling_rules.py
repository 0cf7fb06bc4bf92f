"""Measure the reassembly rules of `docs/tiling.md` on real decoded patches: one bitstream per image (so one
bpp), the codec's decoded patches reassembled by each rule, PSNR of each. Run:

    python -m pylic.eval.tiling_rules --model pylic-hp-v2-q2 --limit 8 --out out/tiling_rules.json
"""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
from tqdm import tqdm

from pylic.api import codec_for
from pylic.codec import codec as codec_module
from pylic.eval.metrics import bpp, psnr
from pylic.imageio import atomic_write, read_image
from pylic.ps.tiling import TileGrid, reassemble, tile_to_size


def blend_exact(patches: np.ndarray, grid: TileGrid) -> np.ndarray:
    """Ramps 1..o summing to o+1 per axis, exact division by (o+1)**2 (the codec's rule before this change)."""
    o, p = grid.overlap, grid.patch
    ph, pw = grid.padded_shape
    acc = np.zeros((patches.shape[1], ph, pw), dtype=np.int64)
    for k, (y, x) in enumerate(grid.origins()):
        r, c = divmod(k, grid.cols)
        ramps = []
        for i, n in ((r, grid.rows), (c, grid.cols)):
            w = np.full(p, o + 1, dtype=np.int64)
            if o and i > 0:
                w[:o] = np.arange(1, o + 1)
            if o and i < n - 1:
                w[p - o:] = np.arange(o, 0, -1)
            ramps.append(w)
        acc[:, y:y + p, x:x + p] += patches[k].astype(np.int64) * np.outer(*ramps)
    total = (o + 1) ** 2
    return ((acc + total // 2) // total)[:, :grid.height, :grid.width].transpose(1, 2, 0).astype(np.uint8)


def owned_copy(patches: np.ndarray, grid: TileGrid) -> np.ndarray:
    """No blend: each pixel comes from one patch, overlaps split in half (the old patch-buffer rule)."""
    out = np.empty((grid.height, grid.width, patches.shape[1]), dtype=np.uint8)
    half = grid.overlap // 2
    for k, (y, x) in enumerate(grid.origins()):
        r, c = divmod(k, grid.cols)
        y1, x1 = (y + half if r else 0), (x + half if c else 0)
        y2 = y + grid.stride + half if r < grid.rows - 1 else grid.height
        x2 = x + grid.stride + half if c < grid.cols - 1 else grid.width
        out[y1:y2, x1:x2] = patches[k].transpose(1, 2, 0)[y1 - y:y2 - y, x1 - x:x2 - x]
    return out


RULES = {"blend_pow2": reassemble, "blend_exact": blend_exact, "owned_copy": owned_copy}


@contextmanager
def capture_patches(store: list):
    """Record the decoded patches the codec hands to its reassembly (the real function still runs)."""
    real = codec_module.tiling.reassemble

    def spy(patches, grid):
        store.append((patches.copy(), grid))
        return real(patches, grid)

    with mock.patch.object(codec_module.tiling, "reassemble", spy):
        yield


def study(model: str, images: dict[str, np.ndarray], overlap: int = 56) -> dict:
    """Per image: bpp at `overlap` and at 0, PSNR of every rule; means over the images."""
    tiled, flat = codec_for(model, overlap=overlap), codec_for(model, overlap=0)
    rows = []
    for name, img in tqdm(images.items(), desc="tiling rules", unit="image"):
        store: list = []
        data = tiled.encode(img)
        with capture_patches(store):
            decoded = tiled.decode(data)
        patches, grid = store[0]
        row = {"image": name, "bpp": bpp(len(data), img)}
        for rule, fn in RULES.items():
            row[rule] = psnr(img, fn(patches, grid))
        assert row["blend_pow2"] == psnr(img, decoded)
        data0 = flat.encode(img)
        row["bpp_overlap0"], row["psnr_overlap0"] = bpp(len(data0), img), psnr(img, flat.decode(data0))
        rows.append(row)
    keys = [k for k in rows[0] if k != "image"]
    return {"model": model, "overlap": overlap, "images": len(rows),
            "mean": {k: float(np.mean([r[k] for r in rows])) for k in keys}, "per_image": rows}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="pylic-hp-v2-q2")
    ap.add_argument("--data", default="../shared/data/kodak")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--overlap", type=int, default=56)
    ap.add_argument("--out", default="out/tiling_rules.json")
    args = ap.parse_args(argv)
    files = sorted(Path(args.data).glob("*.png"))[: args.limit or None]
    images = {f.stem: tile_to_size(read_image(f)) for f in files}
    result = study(args.model, images, args.overlap)
    atomic_write(args.out, lambda f: f.write((json.dumps(result, indent=1) + "\n").encode()))
    print(json.dumps(result["mean"], indent=1))
    return result


if __name__ == "__main__":
    main()
