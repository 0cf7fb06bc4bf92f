"""RD curves of several codecs on one image set, with Bjontegaard deltas against a reference curve: the
measurements behind the ablations (emulator vs float, QAT vs PTQ, 32-bit vs 8-bit GDN, KD vs no KD)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pylic import api
from pylic.errors import PylicError
from pylic.eval.rd import bd_metrics, evaluate_codec, summary
from pylic.imageio import atomic_write


def parse_curve(spec: str) -> tuple[str, list[str]]:
    """`label=ref1,ref2,...` (refs: registry names, shipped package names, package folders or checkpoints)."""
    label, sep, refs = spec.partition("=")
    points = [r.strip() for r in refs.split(",") if r.strip()]
    if not sep or not label.strip() or not points:
        raise PylicError(f"curve {spec!r}: expected LABEL=REF[,REF...]")
    return label.strip(), points


def compare_curves(images: dict[str, np.ndarray], curves: dict[str, list[str]], reference: str | None = None,
                   overlap: int = 0, out: str | Path | None = None, echo=print) -> dict:
    """Code every image with every ref (each ref once, tiled as the board codes, encoded twice to check
    determinism); per curve its points, and against `reference` (default: the first curve) the BD-rate and
    BD-PSNR when both curves have at least two points, plus the bpp/PSNR difference of each matching point."""
    if not curves:
        raise PylicError("no curves to compare")
    reference = reference or next(iter(curves))
    if reference not in curves:
        raise PylicError(f"reference curve {reference!r} is not among {sorted(curves)}")
    results: dict[str, dict] = {}
    for ref in dict.fromkeys(r for refs in curves.values() for r in refs):
        res = evaluate_codec(api.codec_for_ref(ref, overlap), images, check_determinism=True)
        results[ref] = {**summary(res), "deterministic": all(r.deterministic for r in res),
                        "per_image": [r.as_dict() for r in res]}
        echo(f"{ref}: {results[ref]['bpp']:.4f} bpp, {results[ref]['psnr']:.3f} dB, "
             f"MS-SSIM {results[ref]['ms_ssim']:.4f}")
    report: dict = {"images": len(images), "overlap": overlap, "reference": reference, "results": results,
                    "curves": {}}
    ref_points = [(results[r]["bpp"], results[r]["psnr"]) for r in curves[reference]]
    for label, refs in curves.items():
        points = [(results[r]["bpp"], results[r]["psnr"]) for r in refs]
        entry: dict = {"refs": refs, "points": points}
        if label != reference:
            if len(refs) == len(curves[reference]):
                entry["delta_per_point"] = [{"bpp_percent": 100 * (p[0] / q[0] - 1), "psnr_db": p[1] - q[1]}
                                            for p, q in zip(points, ref_points)]
            if len(points) >= 2 and len(ref_points) >= 2:
                entry["bd_vs_reference"] = bd_metrics(ref_points, points)
                bd = entry["bd_vs_reference"]
                echo(f"{label} vs {reference}: BD-rate {bd['bd_rate_percent']:+.2f}%, "
                     f"BD-PSNR {bd['bd_psnr_db']:+.3f} dB")
        report["curves"][label] = entry
    if out:
        from pylic.eval.plots import rd_plot, sibling, write_csv

        atomic_write(out, lambda f: f.write(json.dumps(report, indent=2).encode()))
        write_csv([{"curve": label, "point": r, **results[r]} for label, e in report["curves"].items()
                   for r in e["refs"]], sibling(out, ".csv"))
        rd_plot({label: e["points"] for label, e in report["curves"].items()}, {}, sibling(out, ".png"),
                f"{len(images)} images, overlap {overlap}", kodak_reference=False)
    return report
