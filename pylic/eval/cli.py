"""Entry point of `invoke evaluate`."""

from __future__ import annotations

import json

from pathlib import Path

from pylic.codec.tiling import tile_to_size
from pylic.errors import PylicError
from pylic.eval.images import load_folder
from pylic.eval.report import rd_report
from pylic.models.registry import MODELS


def shipped_curve(prefix: str = "pylic-hp-v2-q") -> list[str]:
    """The default RD curve: the shipped GPU-trained teachers."""
    return sorted(n for n, s in MODELS.items() if n.startswith(prefix) and s.weights)


def evaluate_folder(models: list[str] | None, data: str, overlap: int, out: str, limit: int | None,
                    whole: bool, size720p: bool) -> dict:
    if not Path(data).is_dir():
        raise PylicError(f"image folder not found: {data}")
    images = load_folder(data, limit)
    if size720p:
        images = {k: tile_to_size(v) for k, v in images.items()}
    models = models or shipped_curve()
    if not models:
        raise PylicError("no model given and no shipped pylic-hp-v2 model found")
    kodak = Path(data).resolve().name == "kodak" and not size720p and limit is None
    title = Path(data).resolve().name + (" tiled to 1280x720" if size720p else "")
    return rd_report(images, models, overlap=overlap, tiling_cost=whole, out=out, kodak_reference=kodak, title=title)


def compare_folder(curve_specs: list[str], reference: str | None, data: str, overlap: int, out: str,
                   limit: int | None, anchors: str = "", reuse: str = "") -> dict:
    """Entry point of `invoke compare`."""
    from pylic.eval.compare import compare_curves, parse_curve

    if not Path(data).is_dir():
        raise PylicError(f"image folder not found: {data}")
    curves = dict(parse_curve(s) for s in curve_specs)
    earlier = None
    if reuse:
        try:
            earlier = json.loads(Path(reuse).read_text())
        except (OSError, ValueError) as exc:
            raise PylicError(f"--reuse {reuse}: not a readable compare report ({exc})") from None
    return compare_curves(load_folder(data, limit), curves, reference or None, overlap=overlap, out=out,
                          anchors=tuple(a.strip() for a in anchors.split(",") if a.strip()), reuse=earlier)
