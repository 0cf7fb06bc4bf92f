"""Benchmarks that compare backends on the same frame in the same process (timings interleaved, best of N):
the emulator vs the float model, and entropy coding (pylic's rANS core vs CompressAI's path)."""

from __future__ import annotations

import json
import os
import platform
import time
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
                   repeats: int = 2, csim_root: str | Path | None = None, echo=print) -> dict:
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
    from pylic.deploy.entropy import build_modules

    modules = build_modules(pkg.manifest.entropy, dict(pkg.arrays))
    coding = bench_entropy(backends["emulator"], modules, frame, overlap, repeats=max(3, repeats))
    report = {
        "entropy_coding": coding,
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
    from pylic.perf.measure import perf_inputs  # the performance model's measured inputs (pylic.perf.ps)

    report["perf_inputs"] = perf_inputs(frame, float_model, source, csim_root, repeats)
    write_file(out, json.dumps(report, indent=1))
    echo(f"{frame_name}: float {times['float']['total']:.2f} s, emulator {times['emulator']['total']:.2f} s "
         f"(ratio {report['ratio']['total']:.2f}; encode {report['ratio']['encode']:.2f}, "
         f"decode {report['ratio']['decode']:.2f}) -> {out}")
    echo(f"entropy coding, {coding['symbols']} symbols: pylic/CompressAI symbols/s encode "
         f"{coding['ratio']['pylic_encode']:.1f}x, decode {coding['ratio']['pylic_decode']:.1f}x with "
         f"{coding['workers']} threads (1 thread: {coding['ratio']['pylic_1_thread_encode']:.1f}x, "
         f"{coding['ratio']['pylic_1_thread_decode']:.1f}x); same bytes {coding['same_bytes']}, "
         f"same latents {coding['same_latents']}")
    return report



# --- entropy coding: pylic's rANS core vs today's CompressAI path, on the same latents ---------------------------

class CompressaiPath:
    """Entropy coding as pylic did it before `pylic.ps.rans`: CompressAI's modules, torch tensors, and the 16x
    zero padding that kept its unchecked decoder inside the buffer."""

    def __init__(self, entropy_bottleneck, gaussian_conditional):
        self.eb, self.gc = entropy_bottleneck, gaussian_conditional

    @staticmethod
    def _padded(strings: list[bytes], symbols: int) -> list[bytes]:
        return [s + bytes(16 * len(s) + 4 * (symbols + 16)) for s in strings]

    def encode(self, z: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[list[bytes], list[bytes]]:
        return self.eb.compress(torch.from_numpy(z)), self.gc.compress(torch.from_numpy(y), torch.from_numpy(idx))

    def decode(self, zs: list[bytes], ys: list[bytes], idx: np.ndarray, size: tuple[int, int]):
        z = self.eb.decompress(self._padded(zs, self.eb.quantized_cdf.shape[0] * size[0] * size[1]), size).numpy()
        y = self.gc.decompress(self._padded(ys, int(np.prod(idx.shape[1:]))), torch.from_numpy(idx),
                               dtype=torch.float32).numpy()
        return z, y


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_entropy(backend, entropy_modules, frame: np.ndarray, overlap: int = 0, repeats: int = 3) -> dict:
    """Symbols/s of entropy encode and decode of one frame's latents (every patch, batches of 8 as the codec
    runs them): CompressAI's path vs pylic's core with 1 thread and with the default threads. Also checks that
    both decode the same latents and that the v1 bytes are the same."""
    from pylic.codec.codec import BATCH
    from pylic.ps.latent import LatentCoder
    from pylic.ps.rans import default_workers

    grid = TileGrid(frame.shape[0], frame.shape[1], getattr(backend, "patch", 256), overlap)
    patches = extract(frame, grid)
    batches = []
    for i in range(0, grid.count, BATCH):
        y = backend.analysis(patches[i:i + BATCH])
        z = backend.hyper_analysis(y)
        z_hat = LatentCoder(backend.entropy).z_symbols(z)[1]
        batches.append((np.ascontiguousarray(z, np.float32), np.ascontiguousarray(y, np.float32),
                        backend.prior_indexes(z_hat)))
    symbols = sum(z.size + y.size for z, y, _ in batches)
    size = batches[0][0].shape[-2:]
    ref = CompressaiPath(*entropy_modules)
    paths = {"compressai": (lambda b: ref.encode(*b), lambda b, s: ref.decode(*s, b[2], size))}
    for name, workers in (("pylic_1_thread", 1), ("pylic", default_workers())):
        coder = LatentCoder(backend.entropy, workers)

        def enc(b, c=coder):
            return c.encode_z(b[0])[0], c.encode_y(b[1], b[2])

        def dec(b, s, c=coder):
            return c.decode_z(s[0], size), c.decode_y(s[1], b[2])

        paths[name] = (enc, dec)
    report: dict = {"symbols": symbols, "patches": grid.count, "workers": default_workers()}
    decoded, streams = {}, {}
    for name, (enc, dec) in paths.items():
        t_enc, streams[name] = _best(lambda: [enc(b) for b in batches], repeats)
        t_dec, decoded[name] = _best(lambda: [dec(b, s) for b, s in zip(batches, streams[name])], repeats)
        report[name] = {"encode_symbols_per_s": symbols / t_enc, "decode_symbols_per_s": symbols / t_dec,
                        "encode_s": t_enc, "decode_s": t_dec}
    report["same_bytes"] = all(streams[k] == streams["compressai"] for k in paths)
    report["same_latents"] = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                                 for k in paths for a, b in zip(decoded[k], decoded["compressai"]))
    report["ratio"] = {f"{k}_{s}": report[k][f"{s}_symbols_per_s"] / report["compressai"][f"{s}_symbols_per_s"]
                       for k in ("pylic", "pylic_1_thread") for s in ("encode", "decode")}
    return report
