"""RD curves of several codecs on one image set, with Bjontegaard deltas against a reference curve: the
measurements behind the ablations (emulator vs float, QAT vs PTQ, 32-bit vs 8-bit GDN, KD vs no KD)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pylic import api
from pylic.eval import baselines
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


def bd_matrix(curves: dict[str, list], anchors: dict[str, list] | None = None) -> dict[str, dict[str, dict]]:
    """BD metrics of every curve (of two or more points) against every other curve and every anchor:
    [curve][reference]. The ablation tables need several references from one run (int8 vs float student,
    float student vs teacher, both vs JPEG)."""
    rd = {label: pts for label, pts in curves.items() if len(pts) >= 2}
    refs = {**rd, **(anchors or {})}
    return {a: {b: bd_metrics(refs[b], rd[a]) for b in refs if b != a} for a in rd}


def ref_complexity(codec) -> dict:
    """Parameters, MACs and DPU cycles at 1280x720 (the pruning table's columns): of the float model, or of a
    package's layer shapes (DPU cycles only: a package holds no float model to count MACs on)."""
    model = getattr(codec.backend, "model", None)
    if model is not None:
        from pylic.models.complexity import model_complexity

        return model_complexity(model)
    package = getattr(codec.backend, "package", None)
    if package is None:
        return {}
    from pylic.models.complexity import HD
    from pylic.perf.model import dpu_cycles_per_frame
    from pylic.perf.platform import platform_for

    cycles = dpu_cycles_per_frame(package.manifest.transforms, *HD, platform_for("zcu102"))
    return {"dpu_cycles": {**cycles, "total": sum(cycles.values())}}


def compare_curves(images: dict[str, np.ndarray], curves: dict[str, list[str]], reference: str | None = None,
                   overlap: int = 0, out: str | Path | None = None, echo=print,
                   anchors: tuple[str, ...] = (), reuse: dict | None = None) -> dict:
    """Code every image with every ref (each ref once, tiled as the board codes, encoded twice to check
    determinism); per curve its points, and against `reference` (default: the first curve) the BD-rate and
    BD-PSNR when both curves have at least two points, plus the bpp/PSNR difference of each matching point.
    `anchors` ("jpeg", "jpeg2000": Pillow's quality sweeps on the same images) join the BD matrix as references.
    `reuse`: an earlier report; a ref it holds for the same images and overlap, whose model hash is unchanged,
    is taken from it instead of being coded again (anchors too)."""
    if not curves:
        raise PylicError("no curves to compare")
    if unknown := set(anchors) - {"jpeg", "jpeg2000"}:
        raise PylicError(f"unknown anchor(s) {sorted(unknown)}: jpeg, jpeg2000")
    reference = reference or next(iter(curves))
    if reference not in curves:
        raise PylicError(f"reference curve {reference!r} is not among {sorted(curves)}")
    same_set = bool(reuse) and reuse.get("image_names") == list(images) and reuse.get("overlap") == overlap
    earlier = reuse["results"] if same_set else {}
    results: dict[str, dict] = {}
    for ref in dict.fromkeys(r for refs in curves.values() for r in refs):
        codec = api.codec_for_ref(ref, overlap)
        model_hash = codec.backend.model_hash.hex()
        if earlier.get(ref, {}).get("model_hash") == model_hash:
            results[ref] = earlier[ref]
            echo(f"{ref}: reused from the earlier report")
            continue
        res = evaluate_codec(codec, images, check_determinism=True)
        results[ref] = {**summary(res), "deterministic": all(r.deterministic for r in res), "model_hash": model_hash,
                        "per_image": [r.as_dict() for r in res], "complexity_720p": ref_complexity(codec)}
        echo(f"{ref}: {results[ref]['bpp']:.4f} bpp, {results[ref]['psnr']:.3f} dB, "
             f"MS-SSIM {results[ref]['ms_ssim']:.4f}")
    report: dict = {"images": len(images), "image_names": list(images), "overlap": overlap, "reference": reference,
                    "results": results,
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
    old_anchors = reuse.get("anchors", {}) if same_set else {}
    anchor_points = {a: old_anchors[a]["points"] if a in old_anchors else baselines.curve(images, a) for a in anchors}
    report["anchors"] = {a: {"points": pts} for a, pts in anchor_points.items()}
    report["bd_matrix"] = bd_matrix({label: e["points"] for label, e in report["curves"].items()}, anchor_points)
    for label, row in report["bd_matrix"].items():
        for a in anchor_points:
            echo(f"{label} vs {a}: BD-rate {row[a]['bd_rate_percent']:+.2f}%, BD-PSNR {row[a]['bd_psnr_db']:+.3f} dB")
    if out:
        from pylic.eval.plots import rd_plot, sibling, write_csv

        atomic_write(out, lambda f: f.write(json.dumps(report, indent=2).encode()))
        write_csv([{"curve": label, "point": r, **results[r]} for label, e in report["curves"].items()
                   for r in e["refs"]], sibling(out, ".csv"))
        rd_plot({label: e["points"] for label, e in report["curves"].items()}, {}, sibling(out, ".png"),
                f"{len(images)} images, overlap {overlap}", kodak_reference=False)
    return report
