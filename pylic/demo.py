"""The main job on the shipped default model: compress bundled photographs, decode, report."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from pylic import api
from pylic.eval.images import load_skimage
from pylic.eval.metrics import bpp, psnr
from pylic.imageio import write_bytes, write_image


def run_demo(out_dir: str | Path = "out/demo", model: str | None = None, overlap: int = 0,
             images: dict[str, np.ndarray] | None = None, echo=print) -> list[dict]:
    """Writes <name>.plic and <name>.png per image under out_dir; returns one row per image."""
    out = Path(out_dir)
    codec = api.codec_for(model, overlap=overlap)
    images = images if images is not None else load_skimage()
    rows = []
    echo(f"model {codec.backend.name} ({codec.backend.model_hash.hex()}), 256x256 patches, overlap {overlap}")
    echo(f"{'image':22s} {'size':>9s} {'bytes':>7s} {'bpp':>7s} {'PSNR dB':>8s} {'enc s':>6s} {'dec s':>6s}")
    for name, img in images.items():
        t0 = time.perf_counter()
        data = codec.encode(img)
        t1 = time.perf_counter()
        rec = codec.decode(data)
        t2 = time.perf_counter()
        write_bytes(data, out / f"{name}.plic")
        write_image(rec, out / f"{name}.png")
        row = {"image": name, "width": img.shape[1], "height": img.shape[0], "bytes": len(data),
               "bpp": bpp(len(data), img), "psnr": psnr(img, rec), "encode_s": t1 - t0, "decode_s": t2 - t1}
        rows.append(row)
        echo(f"{name:22s} {img.shape[1]:>4d}x{img.shape[0]:<4d} {len(data):>7d} {row['bpp']:>7.4f} "
             f"{row['psnr']:>8.2f} {row['encode_s']:>6.2f} {row['decode_s']:>6.2f}")
    echo(f"wrote {len(rows)} .plic files and decoded PNGs to {out}/")
    return rows
