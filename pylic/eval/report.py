"""RD report over an image set: pylic models (tiled and whole-image) vs JPEG and JPEG 2000."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pylic import api
from pylic.eval import baselines
from pylic.eval.rd import bd_metrics, evaluate_codec, summary, whole_image
from pylic.imageio import atomic_write


def psnr_at(points: list[tuple[float, float]], rate: float) -> float:
    """PSNR of a curve at a given bpp, linear in log-rate (NaN outside the curve)."""
    r, d = zip(*sorted(points))
    if not r[0] <= rate <= r[-1]:
        return float("nan")
    return float(np.interp(np.log(rate), np.log(r), d))


def rd_report(images: dict[str, np.ndarray], models: list[str], overlap: int = 0,
              tiling_cost: bool = True, out: str | Path | None = None, echo=print,
              kodak_reference: bool = False, title: str = "") -> dict:
    """`models`: registry names or checkpoints (float), shipped package names or package folders (emulator).
    With `out` (JSON) also writes the points as CSV and an RD plot PNG beside it (`kodak_reference`: draw
    CompressAI's published Kodak points too)."""
    report: dict = {"images": len(images), "models": {}, "anchors": {}}
    curve = []
    for name in models:
        codec = api.codec_for_ref(name, overlap)
        res = evaluate_codec(codec, images, check_determinism=True)
        entry = {"tiled": summary(res), "deterministic": all(r.deterministic for r in res),
                 "per_image": [r.as_dict() for r in res]}
        model = getattr(codec.backend, "model", None)  # emulator backends have no whole-image path
        if tiling_cost and model is not None:
            whole = np.array([whole_image(model, img) for img in tqdm(images.values(), desc="whole-image")])
            entry["whole"] = {"bpp": float(whole[:, 0].mean()), "psnr": float(whole[:, 1].mean())}
            entry["tiling_bpp_overhead_percent"] = 100 * (entry["tiled"]["bpp"] / entry["whole"]["bpp"] - 1)
            entry["tiling_psnr_delta_db"] = entry["tiled"]["psnr"] - entry["whole"]["psnr"]
        report["models"][name] = entry
        curve.append((entry["tiled"]["bpp"], entry["tiled"]["psnr"]))
        echo(f"{name}: {entry['tiled']['bpp']:.4f} bpp, {entry['tiled']['psnr']:.2f} dB, "
             f"MS-SSIM {entry['tiled']['ms_ssim']:.4f}"
             + (f" (whole image {entry['whole']['bpp']:.4f} bpp, {entry['whole']['psnr']:.2f} dB; tiling "
                f"{entry['tiling_bpp_overhead_percent']:+.2f}% bpp, {entry['tiling_psnr_delta_db']:+.3f} dB)"
                if "whole" in entry else ""))
    report["curve"] = sorted(curve)
    for anchor in ("jpeg", "jpeg2000"):
        pts = baselines.curve(images, anchor)
        report["anchors"][anchor] = {"points": pts}
        if len(curve) >= 2:
            bd = report["anchors"][anchor]["bd_vs_anchor"] = bd_metrics(pts, curve)
            if "note" in bd:
                echo(f"vs {anchor}: no BD metrics ({bd['note']})")
                continue
            report["anchors"][anchor]["psnr_gain_at_bpp"] = {
                str(r): psnr_at(curve, r) - psnr_at(pts, r) for r in (0.25, 0.4, 0.6)}
            echo(f"vs {anchor}: BD-rate {bd['bd_rate_percent']:+.1f}%, BD-PSNR {bd['bd_psnr_db']:+.2f} dB; "
                 + ", ".join(f"{k} bpp {v:+.2f} dB" for k, v in report["anchors"][anchor]["psnr_gain_at_bpp"].items()))
    if out:
        atomic_write(out, lambda f: f.write(json.dumps(report, indent=2).encode()))
        _write_views(report, out, kodak_reference, f"{title or 'images'}: {len(images)}, patch overlap {overlap}",
                     echo)
    return report


def _write_views(report: dict, out: str | Path, kodak_reference: bool, title: str, echo) -> None:
    """CSV of every point and the RD plot, beside the JSON report."""
    from pylic.eval.plots import rd_plot, sibling, write_csv

    rows = [{"curve": "pylic tiled", "point": name, **e["tiled"]} for name, e in report["models"].items()]
    rows += [{"curve": "pylic whole image", "point": name, **e["whole"], "images": report["images"]}
             for name, e in report["models"].items() if "whole" in e]
    rows += [{"curve": a, "point": i, "bpp": r, "psnr": d, "images": report["images"]}
             for a, v in report["anchors"].items() for i, (r, d) in enumerate(v["points"])]
    curves = {"pylic (tiled, as the board codes)": report["curve"]}
    whole = [(e["whole"]["bpp"], e["whole"]["psnr"]) for e in report["models"].values() if "whole" in e]
    if whole:
        curves["pylic (whole image)"] = whole
    anchors = {{"jpeg": "JPEG", "jpeg2000": "JPEG 2000"}[a]: v["points"] for a, v in report["anchors"].items()}
    csv_path, png = write_csv(rows, sibling(out, ".csv")), sibling(out, ".png")
    rd_plot(curves, anchors, png, title, kodak_reference)
    echo(f"wrote {out}, {csv_path}, {png}")
