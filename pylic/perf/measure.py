"""Host measurements the performance model takes as inputs (run by `invoke bench`, imports torch lazily):
entropy-coding time per symbol through the codec's `LatentCoder`, PS element-wise time per value, and C
simulation time per HLS kernel."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def entropy_seconds_per_symbol(frame: np.ndarray, model=None, name: str = "", repeats: int = 3) -> dict:
    """Time z and y coding (encode and decode) of every patch of `frame` with a float model's latents (a
    `ScaleHyperprior`, or a registry name; default: the registry's default model), through
    `pylic.ps.latent.LatentCoder` (v1 per-stream calls); per symbol = time / coded values."""
    from pylic.ps.latent import LatentCoder
    from pylic.codec.tiling import TileGrid, extract
    from pylic.models.registry import DEFAULT_MODEL, load_model
    from pylic.runtime.float_backend import TorchBackend

    if model is None or isinstance(model, str):
        name = model or DEFAULT_MODEL
        model = load_model(name)
    backend = TorchBackend(model, name)
    patches = extract(frame, TileGrid(frame.shape[0], frame.shape[1]))
    y = backend.analysis(patches)
    z = backend.hyper_analysis(y)
    coder = LatentCoder(backend.entropy)
    z_strings, z_hat = coder.encode_z(z)
    idx = backend.prior_indexes(z_hat)
    y_strings = coder.encode_y(y, idx)
    t = {
        "z_encode": _best(lambda: coder.encode_z(z), repeats),
        "z_decode": _best(lambda: coder.decode_z(z_strings, z.shape[-2:]), repeats),
        "y_encode": _best(lambda: coder.encode_y(y, idx), repeats),
        "y_decode": _best(lambda: coder.decode_y(y_strings, idx), repeats),
        "prior_indexes": _best(lambda: backend.prior_indexes(z_hat), repeats),
    }
    n_y, n_z = int(y.size), int(z.size)
    # encode_z also decodes (it returns z_hat as the decoder sees it); both are what the PS runs per patch.
    return {"model": name, "patches": len(patches), "y_symbols": n_y, "z_symbols": n_z, "seconds": t,
            "bytes": int(sum(map(len, y_strings)) + sum(map(len, z_strings))),
            "s_per_symbol": {"y_encode": t["y_encode"] / n_y, "y_decode": t["y_decode"] / n_y,
                             "z_encode": t["z_encode"] / n_z, "z_decode": t["z_decode"] / n_z}}


def elementwise_seconds_per_value(repeats: int = 5) -> float:
    """numpy time per value of a PS pixel/latent pass (uint8 LUT lookup over one 3x256x256 patch)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(3, 256, 256), dtype=np.uint8)
    lut = rng.integers(-128, 128, size=256).astype(np.int8)
    return _best(lambda: lut[x], repeats) / x.size


def csim_seconds_per_kernel(root: str | Path) -> dict[str, float]:
    """Build (if needed) then time one testbench run of every generated kernel under `root` (`invoke gen-hls`)."""
    from pylic.hls import csim
    from pylic.hls.kernel_info import KernelInfo

    out = {}
    for folder in csim.kernel_folders(root):
        info = KernelInfo.load(folder)
        csim.build(folder, info)
        t0 = time.perf_counter()
        res = csim.run(folder, info)
        out[info.top] = {"seconds": time.perf_counter() - t0, "vectors": res.vectors, "passed": res.passed}
    return out


def perf_inputs(frame: np.ndarray, model=None, name: str = "", csim_root: str | Path | None = None,
                repeats: int = 2) -> dict:
    """The performance model's measured inputs in one run (`invoke bench`): entropy coding per symbol, PS
    element-wise time per value, csim per kernel (when `csim_root` holds generated kernels), with the ratios the
    model uses (decode/encode per symbol, y symbol time / element-wise value time)."""
    coding = entropy_seconds_per_symbol(frame, model, name, repeats)
    per_value = elementwise_seconds_per_value()
    sym = coding["s_per_symbol"]
    out = {"entropy": coding, "s_per_value": per_value,
           "ratios": {"y_decode_over_encode": sym["y_decode"] / sym["y_encode"],
                      "y_encode_symbol_over_value": sym["y_encode"] / per_value}}
    if csim_root is not None:
        out["csim"] = csim_seconds_per_kernel(csim_root)
    return out
