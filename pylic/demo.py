"""The main job: compress bundled photographs with the shipped hardware-ready student through the bit-exact
emulator (the bytes the board writes), decode, report; then C-simulate its generated GDN/iGDN kernels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pylic import api
from pylic.errors import PylicError
from pylic.eval.images import load_skimage
from pylic.eval.metrics import bpp, psnr
from pylic.eval.rd import timed_round_trip
from pylic.imageio import write_file, write_image
from pylic.runtime import EmulatorBackend
from pylic.zoo.packages import DEFAULT_PACKAGE, shipped_packages


def run_demo(out_dir: str | Path = "out/demo", model: str | None = None, overlap: int = 0,
             images: dict[str, np.ndarray] | None = None, echo=print, csim: bool = True) -> list[dict]:
    """Writes <name>.plic and <name>.png per image under out_dir; returns one row per image.

    `model`: a registry name (float model), a shipped package name or a package folder (emulator); default
    the shipped student package when it is there, else the default float model. With `csim` and a package,
    its GDN/iGDN kernels are generated under out_dir/hls and C-simulated against the golden model (skipped with
    a note when g++ or the AP types headers are missing)."""
    out = Path(out_dir)
    if model is None and DEFAULT_PACKAGE in shipped_packages():
        model = DEFAULT_PACKAGE
    codec = api.codec_for(model, overlap=overlap)
    images = images if images is not None else load_skimage()
    rows = []
    kind = "bit-exact emulator" if isinstance(codec.backend, EmulatorBackend) else "float model"
    echo(f"model {codec.backend.name} ({kind}, hash {codec.backend.model_hash.hex()}), 256x256 patches, "
         f"overlap {overlap}")
    echo(f"{'image':22s} {'size':>9s} {'bytes':>7s} {'bpp':>7s} {'PSNR dB':>8s} {'enc s':>6s} {'dec s':>6s}")
    for name, img in images.items():
        data, rec, enc_s, dec_s = timed_round_trip(codec, img)
        write_file(out / f"{name}.plic", data)
        write_image(rec, out / f"{name}.png")
        row = {"image": name, "width": img.shape[1], "height": img.shape[0], "bytes": len(data),
               "bpp": bpp(len(data), img), "psnr": psnr(img, rec), "encode_s": enc_s, "decode_s": dec_s}
        rows.append(row)
        echo(f"{name:22s} {img.shape[1]:>4d}x{img.shape[0]:<4d} {len(data):>7d} {row['bpp']:>7.4f} "
             f"{row['psnr']:>8.2f} {row['encode_s']:>6.2f} {row['decode_s']:>6.2f}")
    echo(f"wrote {len(rows)} .plic files and decoded PNGs to {out}/")
    if csim and isinstance(codec.backend, EmulatorBackend):
        csim_package(codec.backend.package, out / "hls", echo)
    return rows


def csim_package(package, out: Path, echo=print) -> list | None:
    """Generate the package's GDN/iGDN kernels and C-simulate them; None (with a note) without a compiler."""
    from pylic.hls import csim as csim_mod
    from pylic.hls.from_package import generate_for_package
    from pylic.hls.project import csim

    from pylic.hls.tools import find_tool

    try:
        csim_mod.ap_types_dir()
        find_tool("g++")
    except PylicError as exc:
        echo(f"csim skipped: {exc}")
        return None
    root = generate_for_package(package, out)
    results = csim(root)
    echo(csim_mod.format_table(results))
    failed = [r.top for r in results if not r.passed]
    if failed:
        raise PylicError(f"csim mismatches in {', '.join(failed)} (logs under {root})")
    return results
