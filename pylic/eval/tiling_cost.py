"""What tiling costs against whole-image coding, container v1 vs v2, per rate point and image set.

For each model and image: whole-image coding (`eval.rd.whole_image`: CompressAI's compress of the frame padded to
a multiple of 64, strings only) is the reference; the tiled codec is measured with container v1 and v2 (both
decoded, their PSNR from their own decoded pixels). Overhead = tiled bpp / whole bpp - 1 on the set means, as
`invoke evaluate` reports it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pylic.eval.images import KODAK_DIR, SHARED_DATA, load_folder
from pylic.imageio import write_file

MODELS = ("pylic-hp-v2-q1", "pylic-hp-v2-q2", "pylic-hp-v2-q3", "pylic-hp-v2-q4")
BSDS_TEST = SHARED_DATA / "train" / "bsds500_test"


def image_sets(limit: int | None = None, limit_bsds: int | None = 24, limit_720p: int | None = 4
               ) -> dict[str, dict[str, np.ndarray]]:
    """Kodak; the first BSDS500 test images of 481x321 (landscape); Kodak cropped to 500x333; Kodak tiled to
    1280x720 (the first `limit_720p` images)."""
    from pylic.codec.tiling import tile_to_size

    kodak = load_folder(KODAK_DIR, limit)
    bsds = {k: v for k, v in load_folder(BSDS_TEST).items() if v.shape[:2] == (321, 481)}
    bsds = dict(list(bsds.items())[:limit_bsds]) if limit_bsds else bsds
    return {
        "kodak": kodak,
        "bsds500-481x321": bsds,
        "kodak-500x333": {k: np.ascontiguousarray(v[:333, :500]) for k, v in kodak.items() if v.shape[1] >= 500},
        "kodak-1280x720": {k: tile_to_size(v) for k, v in list(kodak.items())[:limit_720p]},
    }


def measure(model_name: str, images: dict[str, np.ndarray], overlap: int = 0, context: int = 32) -> dict:
    """v1 and v2 at `overlap`, and v2 with latent-domain tiling at `context` (0: skipped)."""
    from pylic.eval.metrics import bpp, psnr
    from pylic.eval.rd import whole_image
    from pylic.models.registry import load_model
    from pylic.runtime.float_backend import TorchBackend

    model = load_model(model_name)
    backend = TorchBackend(model, model_name)
    codecs = _codecs(backend, overlap, context)
    rows = []
    for name, img in tqdm(images.items(), desc=model_name, leave=False):
        row = {"image": name}
        row["whole_bpp"], row["whole_psnr"] = whole_image(model, img)
        for v, codec in codecs.items():
            data = codec.encode(img)
            row[f"{v}_bpp"], row[f"{v}_psnr"] = bpp(len(data), img), psnr(img, codec.decode(data))
        rows.append(row)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "image"}
    for v in codecs:
        mean[f"{v}_overhead_percent"] = 100 * (mean[f"{v}_bpp"] / mean["whole_bpp"] - 1)
        mean[f"{v}_delta_db"] = mean[f"{v}_psnr"] - mean["whole_psnr"]
    return {"model": model_name, "images": len(rows), "mean": mean, "per_image": rows}


def _codecs(backend, overlap: int, context: int) -> dict:
    from pylic.codec import Codec

    codecs = {f"v{v}": Codec(backend, overlap=overlap, version=v) for v in (1, 2)}
    if context:
        codecs["ctx"] = Codec(backend, context=context)
    return codecs


def tiling_cost(out: str | Path = "out/tiling_cost.json", models: tuple[str, ...] = MODELS,
                limit: int | None = None, limit_bsds: int | None = 24, limit_720p: int | None = 4,
                sets: tuple[str, ...] | None = None, overlap: int = 0, context: int = 32, echo=print) -> dict:
    """Measure every (set, model) pair, write a JSON report and print the overhead table."""
    report: dict = {"overlap": overlap, "context": context, "results": {}}
    for set_name, images in image_sets(limit, limit_bsds, limit_720p).items():
        if (sets and set_name not in sets) or not images:
            continue
        for m in models:
            r = measure(m, images, overlap, context)
            report["results"].setdefault(set_name, {})[m] = r
            a = r["mean"]
            echo(f"{set_name:16s} {m:15s} n={r['images']:3d} whole {a['whole_bpp']:.4f} bpp {a['whole_psnr']:.2f} dB | "
                 f"v1 {a['v1_overhead_percent']:+6.2f}% {a['v1_delta_db']:+.3f} dB | "
                 f"v2 {a['v2_overhead_percent']:+6.2f}% {a['v2_delta_db']:+.3f} dB"
                 + (f" | v2 context {a['ctx_overhead_percent']:+6.2f}% {a['ctx_delta_db']:+.3f} dB" if context else ""))
            write_file(out, json.dumps(report, indent=1))
    return report
