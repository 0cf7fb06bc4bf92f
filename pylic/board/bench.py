"""`invoke board-bench`: pipelined vs sequential encode and decode of one frame, per-stage times, the scheduler's own
overhead per patch, and whether both modes wrote the same bytes; one JSON report.

Host mode (no overlay) times the emulator on this machine's CPUs, which says nothing about the board: the report
says which it measured (`"where"`), so a host number is never read as a board one.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

from pylic.board.scheduler import RunReport, overhead_per_patch
from pylic.board.session import open_session


def _report(r: RunReport, seconds: float) -> dict[str, Any]:
    return {"seconds": seconds, "frames_per_s": 1 / seconds, "patches": r.patches, "lanes": r.lanes,
            "stage_ms_per_patch": r.summary()}


def board_bench(package: str, image: str | None = None, overlay: str | None = None, overlap: int = 56,
                width: int = 1280, height: int = 720, repeat: int = 2, out: str | Path | None = None) -> dict[str, Any]:
    """Time both modes on `image` (default: kodim23 if present, else a scikit-image photo) tiled to width x height."""
    from pylic.codec.tiling import tile_to_size  # noqa: PLC0415
    from pylic.imageio import read_image, write_file  # noqa: PLC0415

    if image is not None:
        frame = read_image(image)
    else:
        from pylic.eval.images import KODAK_DIR, load_skimage  # noqa: PLC0415

        kodim = KODAK_DIR / "kodim23.png"
        frame = read_image(kodim) if kodim.is_file() else load_skimage(("astronaut",))["astronaut"]
    frame = tile_to_size(frame, height, width)
    session = open_session(package, overlay=overlay)
    result: dict[str, Any] = {"where": "board" if overlay else f"host emulator ({platform.machine()})",
                              "package": session.name, "size": [width, height], "overlap": overlap}
    streams = {}
    for mode in ("sequential", "pipelined"):
        codec = session.codec(mode, overlap)
        for direction in ("encode", "decode"):
            best = None
            for _ in range(repeat):  # the best of `repeat` runs (the first also warms up)
                t0 = time.perf_counter()
                value = codec.encode(frame) if direction == "encode" else codec.decode(streams[mode])
                seconds = time.perf_counter() - t0
                if best is None or seconds < best[0]:
                    best = (seconds, codec.last_report)
                if direction == "encode":
                    streams[mode] = value
            result[f"{mode}_{direction}"] = _report(best[1], best[0])  # type: ignore[index]
    result["identical_bytes"] = streams["sequential"] == streams["pipelined"]
    result["bpp"] = 8 * len(streams["pipelined"]) / (width * height)
    result["scheduler_overhead_us_per_patch"] = 1e6 * overhead_per_patch(2000, session.hardware.cores)
    for direction in ("encode", "decode"):
        result[f"speedup_{direction}"] = (result[f"sequential_{direction}"]["seconds"]
                                          / result[f"pipelined_{direction}"]["seconds"])
    if out is not None:
        write_file(out, json.dumps(result, indent=1) + "\n")
    return result
