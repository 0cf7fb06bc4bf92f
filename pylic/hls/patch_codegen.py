"""Generate the patch-buffer kernel folder for one patch size and overlap, with golden vectors computed by the
codec's own tiling (`pylic.ps.tiling`, through `pylic.fixed.patch_buffer`) on real frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.patch_buffer import IDENTITY_LUT, TileGrid, dpu_input, extract_patch, merge_patch, reassemble
from pylic.hls import render
from pylic.hls.estimate import patch_estimate, register_map
from pylic.hls.kernel_info import KernelInfo, tcl_context
from pylic.imageio import write_file
from pylic.ps.tiling import PAPER_720P

HEADERS = ("patch_kernel.h",)
TOP = "patch_buffer"
DEFAULT_OVERLAP = PAPER_720P["overlap"]
NOISE = 24  # merge inputs differ from the frame by up to this, so overlapping patches disagree as decoded ones do


def merge_inputs(patches: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Seeded stand-ins for decoded patches: each extracted patch plus noise, so blend weights and rounding count."""
    rng = np.random.default_rng(seed)
    return [np.clip(p.astype(np.int16) + rng.integers(-NOISE, NOISE + 1, p.shape), 0, 255).astype(np.uint8)
            for p in patches]


def golden_frame(frame: np.ndarray, grid: TileGrid, lut: np.ndarray, seed: int) -> tuple[bytes, bytes, bytes]:
    """(extracted DPU-input patches, merge inputs, merged frame) of one frame, all from `pylic.ps.tiling`."""
    extracted = [extract_patch(frame, grid, k) for k in range(grid.count)]
    if not np.array_equal(reassemble(np.stack(extracted).transpose(0, 3, 1, 2), grid), frame):
        raise PylicError("tiling does not reassemble the frame from its own patches; the golden model is broken")
    inputs = merge_inputs(extracted, seed)
    rebuilt = np.zeros_like(frame)
    acc = np.full(frame.shape, 0xA5A5A5A5, dtype=np.uint32)  # as the testbench: garbage is never read
    for k, q in enumerate(inputs):
        merge_patch(rebuilt, acc, q, grid, k)
    return (b"".join(dpu_input(p, lut).tobytes() for p in extracted), b"".join(q.tobytes() for q in inputs),
            rebuilt.tobytes())


def golden_vectors(frames: list[np.ndarray], patch: int, overlap: int,
                   lut: np.ndarray = IDENTITY_LUT) -> tuple[str, dict[str, bytes], int]:
    """(frames.txt, {file name: bytes}, number of patches) for the testbench."""
    index, data, count = [str(len(frames))], {n: [] for n in ("frames", "patches", "merge_in", "merged")}, 0
    for i, frame in enumerate(frames):
        grid = TileGrid(frame.shape[0], frame.shape[1], patch, overlap)
        index.append(f"{grid.height} {grid.width} {grid.rows} {grid.cols}")
        pbin, qbin, mbin = golden_frame(frame, grid, lut, seed=i)
        for name, b in (("frames", np.ascontiguousarray(frame).tobytes()), ("patches", pbin), ("merge_in", qbin),
                        ("merged", mbin)):
            data[name].append(b)
        count += grid.count
    return "\n".join(index) + "\n", {f"{n}.bin": b"".join(v) for n, v in data.items()}, count


def generate_patch_buffer(root: Path, frames: list[np.ndarray], patch: int = 256, overlap: int = DEFAULT_OVERLAP,
                          max_frame: tuple[int, int] = (720, 1280), input_lut: np.ndarray | None = None) -> KernelInfo:
    """Render `patch_buffer` for P x P x CH patches at `overlap` (CH from the frames, uint8 HWC) with vectors from
    `frames`. `input_lut` (256 int8): the deploy package's pixel -> DPU input map, applied on extraction;
    None extracts the frame's bytes unchanged."""
    if not frames or any(f.dtype != np.uint8 or f.ndim != 3 for f in frames):
        raise PylicError("patch-buffer vectors need uint8 HWC frames")
    grid = TileGrid(frames[0].shape[0], frames[0].shape[1], patch, overlap)  # validates patch and overlap
    lut = IDENTITY_LUT if input_lut is None else np.asarray(input_lut)
    dpu_input(np.zeros((1,), np.uint8), lut)  # validates the LUT
    ch = int(frames[0].shape[2])
    folder = root / TOP
    max_frame_bytes = max([max_frame[0] * max_frame[1] * ch] + [f.size for f in frames])
    ctx = {"top": TOP, "patch": patch, "channels": ch, "overlap": overlap, "max_frame_bytes": max_frame_bytes,
           "patch_bytes": patch * patch * ch, "weight_bits": grid.weight_bits, "shift": grid.shift,
           "half": 1 << grid.shift >> 1, "acc_bits": grid.acc_bits, "ramp": [int(a) for a in grid.ramp()] or [0],
           "lut": [int(v) for v in lut.view(np.uint8)],
           "lut_source": "identity" if input_lut is None else "the deploy package's input LUT"}
    env = render.environment()
    render.render_to(env, "patch_top.h.j2", folder / "src" / f"{TOP}.h", **ctx)
    render.render_to(env, "patch_top.cpp.j2", folder / "src" / f"{TOP}.cpp", **ctx)
    render.render_to(env, "patch_tb.cpp.j2", folder / "tb" / f"{TOP}_tb.cpp", **ctx)
    render.copy_headers(folder / "src", HEADERS)
    index, data, n_patches = golden_vectors(frames, patch, overlap, lut)
    write_file(folder / "tb_data" / "frames.txt", index, skip_identical=True)
    for name, blob in data.items():
        write_file(folder / "tb_data" / name, blob, skip_identical=True)
    scalars = [(n, "scalar") for n in ("mode", "height", "width", "row", "col", "rows", "cols")]
    info = KernelInfo(
        top=TOP, kind="patch_buffer", layer="frame<->patch", sources=[f"src/{TOP}.cpp"],
        testbench=f"tb/{TOP}_tb.cpp", headers=[f"src/{h}" for h in HEADERS], n_vectors=n_patches,
        registers=register_map([("frame", "pointer"), ("patch", "pointer"), ("acc", "pointer"), *scalars]),
        estimate=patch_estimate(TOP, patch, ch, overlap).to_dict(),
        details={"patch": patch, "channels": ch, "overlap": overlap, "acc_bits": grid.acc_bits,
                 "input_lut": ctx["lut_source"], "frames": [list(f.shape) for f in frames]},
    )
    render.render_to(env, "run_hls.tcl.j2", folder / "run_hls.tcl", **tcl_context(info))
    info.save(folder)
    return info
