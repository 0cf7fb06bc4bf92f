"""Benchmarks that compare backends on the same frame in the same process (timings interleaved, best of N)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np
import torch

from pylic.codec import Codec
from pylic.codec.tiling import TileGrid, extract, tile_to_size
from pylic.eval.metrics import bpp, psnr
from pylic.eval.rd import timed_round_trip
from pylic.imageio import write_file


def bench_frame(height: int = 720, width: int = 1280) -> tuple[str, np.ndarray]:
    """Kodak kodim01 tiled to HxW when ../shared/data is present (the paper's protocol), else skimage's astronaut."""
    from pylic.eval.images import KODAK_DIR, load_skimage
    from pylic.imageio import read_image

    src = KODAK_DIR / "kodim01.png"
    if src.is_file():
        name, img = "kodim01", read_image(src)
    else:
        name, img = "astronaut", load_skimage(("astronaut",))["astronaut"]
    return f"{name} tiled to {width}x{height}", tile_to_size(img, height, width)


def bench_emulator(out: str | Path = "out/bench_emulator.json", model: str | None = None,
                   checkpoint: str | None = None, package: str | Path | None = None, synthetic: bool = False,
                   N: int = 64, M: int = 128, height: int = 720, width: int = 1280, overlap: int = 0,
                   repeats: int = 2, echo=print) -> dict:
    """Time Codec encode + decode of one frame with the float model and with the emulator of its deploy package.

    The package is `package` if given, else built here by PTQ on the frame's own patches. `synthetic` uses the
    seeded stand-in model (`pylic.models.synthetic`, widths N/M) when no trained weights are available; timing
    does not depend on the weight values. Writes and returns a JSON report with the emulator/float ratio.
    """
    from pylic.deploy.export import build_package
    from pylic.deploy.store import load
    from pylic.quant.calibrate import calibrate
    from pylic.runtime.emulator import EmulatorBackend
    from pylic.runtime.float_backend import TorchBackend

    if synthetic:
        from pylic.models.synthetic import synthetic_model

        float_model = synthetic_model(0, N=N, M=M)
        float_model.update(force=True)
        source = f"synthetic N={N} M={M}"
    else:
        from pylic.models.registry import DEFAULT_MODEL, load_model

        float_model = load_model(model, checkpoint)
        source = str(checkpoint or model or DEFAULT_MODEL)
    frame_name, frame = bench_frame(height, width)
    if package is not None:
        from pylic.zoo.packages import resolve_package

        pkg = load(resolve_package(package))
    else:
        patches = extract(frame, TileGrid(height, width, 256, overlap))
        pkg = build_package(float_model, calibrate(float_model, patches))
    backends = {"float": TorchBackend(float_model, "float"), "emulator": EmulatorBackend(pkg)}
    codecs = {k: Codec(b, overlap=overlap) for k, b in backends.items()}
    times: dict[str, dict[str, float]] = {k: {"encode": float("inf"), "decode": float("inf")} for k in codecs}
    results = {}
    for _ in range(max(1, repeats)):
        for k, codec in codecs.items():
            data, rec, enc_s, dec_s = timed_round_trip(codec, frame)
            times[k]["encode"] = min(times[k]["encode"], enc_s)
            times[k]["decode"] = min(times[k]["decode"], dec_s)
            results[k] = {"bytes": len(data), "bpp": bpp(len(data), frame), "psnr": psnr(frame, rec)}
    for k in times:
        times[k]["total"] = times[k]["encode"] + times[k]["decode"]
    report = {
        "frame": frame_name, "height": height, "width": width, "overlap": overlap,
        "patches": TileGrid(height, width, 256, overlap).count,
        "model": source, "config": float_model.cfg.to_dict(), "package": pkg.content_hash,
        "precision": pkg.manifest.precision, "repeats": repeats,
        "host": {"machine": platform.machine(), "processor": platform.processor(), "cpus": os.cpu_count(),
                 "torch_threads": torch.get_num_threads(), "torch": torch.__version__},
        "seconds": times, "results": results,
        "ratio": {s: times["emulator"][s] / times["float"][s] for s in ("encode", "decode", "total")},
    }
    backends["emulator"].close()
    write_file(out, json.dumps(report, indent=1))
    echo(f"{frame_name}: float {times['float']['total']:.2f} s, emulator {times['emulator']['total']:.2f} s "
         f"(ratio {report['ratio']['total']:.2f}; encode {report['ratio']['encode']:.2f}, "
         f"decode {report['ratio']['decode']:.2f}) -> {out}")
    return report

