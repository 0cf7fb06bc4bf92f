"""Generate the patch-buffer kernel folder with golden vectors from real frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pylic.errors import PylicError
from pylic.fixed.patch_buffer import PatchWindow, extract_patch, merge_patch, tile_grid
from pylic.hls import render
from pylic.hls.estimate import patch_estimate, register_map
from pylic.hls.kernel_info import KernelInfo, tcl_context

HEADERS = ("patch_kernel.h",)
TOP = "patch_buffer"


def golden_vectors(frames: list[np.ndarray], patch: int, overlap: int) -> tuple[str, bytes, bytes, bytes, int]:
    """(frames.txt, frames.bin, patches.bin, merged.bin, n_windows) for the testbench."""
    index, fbin, pbin, mbin, count = [str(len(frames))], [], [], [], 0
    for frame in frames:
        h, w = frame.shape[:2]
        wins: list[PatchWindow] = tile_grid(h, w, patch, overlap)
        index.append(f"{h} {w} {len(wins)}")
        rebuilt = np.zeros_like(frame)
        for win in wins:
            p = extract_patch(frame, win.y0, win.x0, patch)
            rebuilt = merge_patch(rebuilt, p, win)
            index.append(f"{win.y0} {win.x0} {win.r0} {win.c0} {win.r1} {win.c1}")
            pbin.append(p.tobytes())
        if not np.array_equal(rebuilt, frame):
            raise PylicError("tiling does not reassemble the frame; the golden patch buffer is broken")
        fbin.append(np.ascontiguousarray(frame).tobytes())
        mbin.append(rebuilt.tobytes())
        count += len(wins)
    return "\n".join(index) + "\n", b"".join(fbin), b"".join(pbin), b"".join(mbin), count


def generate_patch_buffer(root: Path, frames: list[np.ndarray], patch: int = 256, overlap: int = 32,
                          max_frame: tuple[int, int] = (720, 1280)) -> KernelInfo:
    """Render `patch_buffer` (P x P x CH windows, CH from the frames) with vectors from `frames` (uint8 HWC)."""
    if not frames or any(f.dtype != np.uint8 or f.ndim != 3 for f in frames):
        raise PylicError("patch-buffer vectors need uint8 HWC frames")
    ch = int(frames[0].shape[2])
    folder = root / TOP
    max_frame_bytes = max([max_frame[0] * max_frame[1] * ch] + [f.size for f in frames])
    ctx = {"top": TOP, "patch": patch, "channels": ch, "max_frame_bytes": max_frame_bytes,
           "patch_bytes": patch * patch * ch}
    env = render.environment()
    render.render_to(env, "patch_top.h.j2", folder / "src" / f"{TOP}.h", **ctx)
    render.render_to(env, "patch_top.cpp.j2", folder / "src" / f"{TOP}.cpp", **ctx)
    render.render_to(env, "patch_tb.cpp.j2", folder / "tb" / f"{TOP}_tb.cpp", **ctx)
    render.copy_headers(folder / "src", HEADERS)
    index, fbin, pbin, mbin, n_win = golden_vectors(frames, patch, overlap)
    render.write_text(folder / "tb_data" / "frames.txt", index)
    for name, data in (("frames.bin", fbin), ("patches.bin", pbin), ("merged.bin", mbin)):
        render.write_bytes(folder / "tb_data" / name, data)
    scalars = [(n, "scalar") for n in ("mode", "height", "width", "y0", "x0", "r0", "c0", "r1", "c1")]
    info = KernelInfo(
        top=TOP, kind="patch_buffer", layer="frame<->patch", sources=[f"src/{TOP}.cpp"],
        testbench=f"tb/{TOP}_tb.cpp", headers=[f"src/{h}" for h in HEADERS], n_vectors=n_win,
        registers=register_map([("frame", "pointer"), ("patch", "pointer"), *scalars]),
        estimate=patch_estimate(TOP, patch, ch).to_dict(),
        details={"patch": patch, "channels": ch, "overlap": overlap, "frames": [list(f.shape) for f in frames]},
    )
    render.render_to(env, "run_hls.tcl.j2", folder / "run_hls.tcl", **tcl_context(info))
    info.save(folder)
    return info
