"""File-level operations shared by the CLI, invoke tasks and notebooks."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from pylic.codec import Codec, bitstream
from pylic.errors import BitstreamError, ModelError, PylicError
from pylic.imageio import read_image, write_file, write_image
from pylic.models.registry import DEFAULT_MODEL, MODELS, WEIGHTS_DIR, get_spec, load_model
from pylic.runtime.emulator import EmulatorBackend
from pylic.runtime.float_backend import TorchBackend
from pylic.zoo.packages import is_package_folder, package_for_hash, resolve_package, shipped_packages

__all__ = ["MODELS", "shipped_packages", "backend_for", "codec_for", "codec_for_ref", "encode_file", "decode_file", "describe",
           "model_for_hash"]


@lru_cache(maxsize=8)
def backend_for(name: str | None = None, checkpoint: str | None = None,
                package: str | None = None) -> TorchBackend | EmulatorBackend:
    """The float model (registry name or checkpoint) or, for a shipped package name or a package folder, the
    bit-exact emulator of that deploy package."""
    if package is not None and (name is not None or checkpoint is not None):
        raise ModelError("give either a model (name/checkpoint) or a deploy package, not both")
    if package is None and checkpoint is None and name is not None and name not in MODELS:
        if name in shipped_packages() or is_package_folder(name):
            package = name
    if package is not None:
        folder = resolve_package(package)
        label = package if package in shipped_packages() else f"emu-{folder.name}"
        return EmulatorBackend(folder, label)
    label = name or (Path(checkpoint).stem if checkpoint else DEFAULT_MODEL)
    return TorchBackend(load_model(name, checkpoint), label)


def codec_for(name: str | None = None, checkpoint: str | None = None, overlap: int = 0,
              progress: bool = False, package: str | None = None, board: str | None = None,
              context: int = 0) -> Codec:
    """`board`: an overlay folder; the package then runs on the board (`pylic.board`, BoardBackend).
    `context`: latent-domain tiling with that many pixels of context (`pylic.ps.context_tiling`)."""
    if board is not None:
        if package is None or name is not None or checkpoint is not None:
            raise ModelError("a board runs a deploy package: give package=..., not a model or checkpoint")
        from pylic.board.session import open_session

        return Codec(open_session(package, overlay=board).backend(), overlap=overlap, progress=progress,
                     context=context)
    return Codec(backend_for(name, checkpoint, package), overlap=overlap, progress=progress, context=context)


def codec_for_ref(ref: str, overlap: int = 0) -> Codec:
    """One string names any codec: a weights file is a float checkpoint; anything else a registry name, a shipped
    package name or a package folder (see `backend_for`). Used where models are listed (evaluate, compare)."""
    if Path(ref).is_file():
        return codec_for(checkpoint=ref, overlap=overlap)
    return codec_for(ref, overlap=overlap)


def model_for_hash(model_hash: bytes) -> str | None:
    """The shipped model or package whose recorded hash matches (read from the recipes, nothing loaded)."""
    for recipe in sorted(WEIGHTS_DIR.glob("*.json")):
        meta = json.loads(recipe.read_text())
        if meta.get("hash") == model_hash.hex():
            return meta["name"]
    pkg = package_for_hash(model_hash)
    return pkg.name if pkg else None


def encode_file(src: str, dst: str, model: str | None = None, checkpoint: str | None = None,
                overlap: int = 0, package: str | None = None, convert_16bit: bool = False, context: int = 0
                ) -> tuple[bytes, np.ndarray]:
    image = read_image(src, convert_16bit=convert_16bit)
    data = codec_for(model, checkpoint, overlap, progress=True, package=package, context=context).encode(image)
    write_file(dst, data)
    return data, image


def decode_file(src: str, dst: str, model: str | None = None, checkpoint: str | None = None,
                package: str | None = None) -> np.ndarray:
    try:
        data = Path(src).read_bytes()
    except OSError as exc:
        raise PylicError(f"{src}: cannot read ({exc.strerror})") from None
    header = bitstream.read_header(data)
    if model is None and checkpoint is None and package is None:
        model = model_for_hash(header.model_hash)
        if model is None:
            raise BitstreamError(
                f"no shipped model or package has hash {header.model_hash.hex()} (made by "
                f"{header.model_name or '?'}); pass --model, --checkpoint or --package")
    image = codec_for(model, checkpoint, progress=True, package=package).decode(data)
    write_image(image, dst)
    return image


def _tiling_line(header) -> str:
    grid = header.grid
    if header.context:
        return (f"latent tiles of {grid.patch}x{grid.patch} pixels, {grid.rows}x{grid.cols} = {grid.count}; "
                f"context {header.context}, {header.context_grid().count} DPU windows")
    return f"{grid.patch}x{grid.patch} patches, overlap {grid.overlap}, {grid.rows}x{grid.cols} = {grid.count}"


def describe(data: bytes) -> str:
    header, subs = bitstream.read(data)
    if header.version == 1:
        z, y = sum(len(a) for a, _ in subs), sum(len(b) for _, b in subs)
        streams = f"z {z} bytes, y {y} bytes, container {len(data) - z - y} bytes"
    else:
        coded = sum(map(len, subs))
        streams = f"z+y {coded} bytes in {len(subs)} streams, container {len(data) - coded} bytes"
    known = model_for_hash(header.model_hash)
    packages = shipped_packages()
    if known in packages:
        spec_line = f" (shipped deploy package: {packages[known].description})"
    elif known:
        spec_line = f" ({get_spec(known).description})"
    else:
        spec_line = " (not a shipped model or package)"
    return "\n".join([
        f"format      .plic v{header.version}, {len(data)} bytes, "
        f"{8 * len(data) / (header.height * header.width):.4f} bpp",
        f"image       {header.width}x{header.height} RGB",
        f"model       {header.model_name or '?'} hash {header.model_hash.hex()}{spec_line}",
        f"tiling      {_tiling_line(header)}",
        f"substreams  {streams}",
    ])
