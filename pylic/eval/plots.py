"""Readable evaluation output: a CSV of every point and an RD plot PNG (bpp vs PSNR, one line per curve) with
JPEG, JPEG 2000 and CompressAI's published bmshj2018-hyperprior Kodak points as references."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pylic.imageio import atomic_write

# CompressAI's published bmshj2018-hyperprior (MSE) Kodak results, qualities 1-8 (bpp, PSNR-RGB), as recorded in
# ../shared/data/README.md. Whole-image coding of the 24 Kodak images; a reference, not a pylic measurement.
COMPRESSAI_HYPERPRIOR_KODAK = [(0.1313, 27.58), (0.2089, 29.20), (0.3199, 30.97), (0.4784, 32.84),
                               (0.6687, 34.53), (0.9388, 36.74), (1.2592, 38.58), (1.6602, 40.56)]
CSV_FIELDS = ("curve", "point", "bpp", "psnr", "ms_ssim", "encode_s", "decode_s", "images")


def write_csv(rows: list[dict], path: str | Path) -> Path:
    """One row per RD point (missing fields left empty)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write(path, lambda f: f.write(buf.getvalue().encode()))
    return Path(path)


def rd_plot(curves: dict[str, list[tuple[float, float]]], anchors: dict[str, list[tuple[float, float]]],
            path: str | Path, title: str = "", kodak_reference: bool = True) -> Path:
    """`curves`: label -> (bpp, PSNR) points (solid lines); `anchors` (JPEG, JPEG 2000) dashed; CompressAI's
    published points dotted when `kodak_reference` (only meaningful for whole Kodak images)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for label, pts in curves.items():
        r, d = zip(*sorted(pts))
        ax.plot(r, d, "-o", label=label, markersize=4)
    for label, pts in anchors.items():
        r, d = zip(*sorted(pts))
        ax.plot(r, d, "--", label=label, color="gray" if "2000" in label else "black", linewidth=1)
    if kodak_reference:
        r, d = zip(*COMPRESSAI_HYPERPRIOR_KODAK)
        ax.plot(r, d, ":s", label="bmshj2018-hyperprior (CompressAI, published)", color="tab:purple",
                markersize=3)
    lo = min(p[0] for pts in curves.values() for p in pts)
    hi = max(p[0] for pts in curves.values() for p in pts)
    ax.set_xlim(0, max(hi * 1.3, lo + 0.2))
    ax.set_xlabel("rate (bpp)")
    ax.set_ylabel("PSNR-RGB (dB)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return Path(path)


def sibling(out: str | Path, suffix: str) -> Path:
    """`out/rd_kodak.json` -> `out/rd_kodak.csv` / `.png`."""
    return Path(out).with_suffix(suffix)
