"""Generate one GDN/iGDN kernel folder: config header, constants + top, testbench, golden vectors, Tcl."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.gdn_golden import gdn_fixed
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.hls import render
from pylic.hls.directed_vectors import directed_vectors
from pylic.hls.estimate import gdn_estimate, register_map
from pylic.hls.kernel_info import KernelInfo, tcl_context
from pylic.imageio import write_file

HEADERS = ("pylic_fixed.h", "gdn_kernel.h")


def kernel_name(layer: str, inverse: bool) -> str:
    """'g_a.1' -> 'gdn_ga1', 'g_s.3' -> 'igdn_gs3'."""
    return render.check_kernel_name(("igdn_" if inverse else "gdn_") + layer.replace("_", "").replace(".", ""))


def bus_bytes_for(channels: int, widest: int = 16) -> int:
    """Widest AXI word (<= 16 bytes, the ZU+ HP port width) that divides one pixel's channels."""
    b = widest
    while channels % b:
        b //= 2
    return b


def write_vectors(folder: Path, params: GdnLayerParams, x_q: np.ndarray,
                  expected: np.ndarray | None = None) -> None:
    """tb_data/input.bin and expected.bin: int8 [n_vectors, pixels, C] in row-major byte order.
    `expected` defaults to the golden model's output; tests pass a perturbed golden output here."""
    x_q = np.ascontiguousarray(x_q, dtype=np.int8)
    y = gdn_fixed(x_q, params) if expected is None else np.ascontiguousarray(expected, dtype=np.int8)
    if y.shape != x_q.shape:
        raise PylicError(f"expected output shape {y.shape} differs from input {x_q.shape}")
    write_file(folder / "tb_data" / "input.bin", x_q.tobytes(), skip_identical=True)
    write_file(folder / "tb_data" / "expected.bin", y.tobytes(), skip_identical=True)


def with_directed(x_q: np.ndarray, directed: np.ndarray) -> np.ndarray:
    """x_q [n, pixels, C] followed by the directed pixels [D, C], cut into vectors of the same `pixels`
    (the testbench's one vector size), the last padded with zero pixels (whose output is 0)."""
    n, pixels, c = x_q.shape
    extra = -(-directed.shape[0] // pixels)
    padded = np.zeros((extra * pixels, c), np.int8)
    padded[:directed.shape[0]] = directed
    return np.concatenate([x_q.astype(np.int8), padded.reshape(extra, pixels, c)])


def generate_gdn(root: Path, params: GdnLayerParams, x_q: np.ndarray, source: str, par: int = 1,
                 pixels_per_patch: int | None = None, directed: bool = True) -> KernelInfo:
    """Render kernel `gdn_*`/`igdn_*` for `params` under `root`, with vectors x_q int8 [n, pixels, C] and
    (unless `directed` is False) the directed vectors of `pylic.hls.directed_vectors` after them."""
    if x_q.ndim != 3 or x_q.shape[2] != params.channels:
        raise PylicError(f"{params.name}: vectors must be [n, pixels, {params.channels}], got {x_q.shape}")
    photo_vectors = int(x_q.shape[0])
    n_directed = 0
    if directed:
        extra = directed_vectors(params)
        n_directed = int(extra.shape[0])
        x_q = with_directed(x_q, extra)
    c = params.channels
    if par < 1 or c % par:
        raise PylicError(f"{params.name}: PAR={par} must divide the {c} channels")
    top = kernel_name(params.name, params.inverse)
    folder = root / top
    bus = bus_bytes_for(c)
    n_vec, pixels = int(x_q.shape[0]), int(x_q.shape[1])
    max_pixels = max(pixels, pixels_per_patch or 0)
    lut = params.lut
    ctx = {
        "top": top, "layer": params.name, "source": source, "inverse": params.inverse,
        "channels": c, "par": par, "bus_bytes": bus, "pixel_bits": 8 * c,
        "gamma_bits": params.fmt.gamma_bits, "beta_bits": params.fmt.beta_bits, "beta_shift": params.beta_shift,
        "acc_bits": params.fmt.acc_bits, "acc_frac": params.acc_frac, "lut_bits": params.fmt.lut_bits,
        "lut_size": lut.size, "index_bits": lut.index_bits, "interp_bits": lut.interp_bits,
        "slope_shift": lut.slope_shift, "out_shift": params.out_shift, "in_frac": params.in_frac,
        "out_frac": params.out_frac, "gamma_frac": params.gamma_frac, "beta_frac": params.beta_frac,
        "lut_a_frac": lut.a_format.frac, "lut_b_frac": lut.b_format.frac,
        "gamma": params.gamma_q, "beta": params.beta_q, "lut_a": lut.a, "lut_b": lut.b,
        "max_pixels": max_pixels, "max_words": max_pixels * c // bus, "n_vectors": n_vec, "pixels": pixels,
    }
    env = render.environment()
    render.render_to(env, "gdn_top.h.j2", folder / "src" / f"{top}.h", **ctx)
    render.render_to(env, "gdn_top.cpp.j2", folder / "src" / f"{top}.cpp", **ctx)
    render.render_to(env, "gdn_tb.cpp.j2", folder / "tb" / f"{top}_tb.cpp", **ctx)
    render.copy_headers(folder / "src", HEADERS)
    write_vectors(folder, params, x_q)
    est = gdn_estimate(top, c, par, bus, params.fmt.gamma_bits, params.fmt.beta_bits, params.fmt.lut_bits,
                       lut.size, lut.interp_bits, pixels_per_patch or pixels)
    info = KernelInfo(
        top=top, kind="igdn" if params.inverse else "gdn", layer=params.name,
        sources=[f"src/{top}.cpp"], testbench=f"tb/{top}_tb.cpp", headers=[f"src/{top}.h", *(f"src/{h}" for h in HEADERS)],
        n_vectors=n_vec, registers=register_map([("src", "pointer"), ("dst", "pointer"), ("n_pixels", "scalar")]),
        estimate=est.to_dict(),
        details={"channels": c, "par": par, "bus_bytes": bus, "pixels_per_vector": pixels,
                 "photo_vectors": photo_vectors, "directed_pixels": n_directed,
                 "in_frac": params.in_frac, "out_frac": params.out_frac, "format": params.fmt.to_dict()},
    )
    render.render_to(env, "run_hls.tcl.j2", folder / "run_hls.tcl", **tcl_context(info))
    info.save(folder)
    return info
