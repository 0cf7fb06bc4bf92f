"""File-level operations shared by the CLI, invoke tasks and notebooks."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from pylic.codec import Codec, bitstream
from pylic.errors import BitstreamError, ModelError, PylicError
from pylic.imageio import read_image, write_bytes, write_image
from pylic.models.registry import DEFAULT_MODEL, MODELS, WEIGHTS_DIR, get_spec, load_model
from pylic.runtime.float_backend import TorchBackend

__all__ = ["MODELS", "backend_for", "codec_for", "encode_file", "decode_file", "describe", "model_for_hash"]


@lru_cache(maxsize=8)
def backend_for(name: str | None = None, checkpoint: str | None = None) -> TorchBackend:
    label = name or (Path(checkpoint).stem if checkpoint else DEFAULT_MODEL)
    return TorchBackend(load_model(name, checkpoint), label)


def codec_for(name: str | None = None, checkpoint: str | None = None, overlap: int = 0,
              progress: bool = False) -> Codec:
    return Codec(backend_for(name, checkpoint), overlap=overlap, progress=progress)


def model_for_hash(model_hash: bytes) -> str | None:
    """The shipped model whose recorded hash matches (read from the recipes, no weights loaded)."""
    for recipe in sorted(WEIGHTS_DIR.glob("*.json")):
        meta = json.loads(recipe.read_text())
        if meta.get("hash") == model_hash.hex():
            return meta["name"]
    return None


def encode_file(src: str, dst: str, model: str | None = None, checkpoint: str | None = None,
                overlap: int = 0) -> tuple[bytes, np.ndarray]:
    image = read_image(src)
    data = codec_for(model, checkpoint, overlap, progress=True).encode(image)
    write_bytes(data, dst)
    return data, image


def decode_file(src: str, dst: str, model: str | None = None, checkpoint: str | None = None) -> np.ndarray:
    try:
        data = Path(src).read_bytes()
    except OSError as exc:
        raise PylicError(f"{src}: cannot read ({exc.strerror})") from None
    header, _, _ = bitstream.unpack_header(data)
    if model is None and checkpoint is None:
        model = model_for_hash(header.model_hash)
        if model is None:
            raise BitstreamError(
                f"no shipped model has hash {header.model_hash.hex()} (made by {header.model_name or '?'}); "
                "pass --model or --checkpoint")
    image = codec_for(model, checkpoint, progress=True).decode(data)
    write_image(image, dst)
    return image


def describe(data: bytes) -> str:
    header, subs = bitstream.unpack(data)
    grid = header.grid
    z = sum(len(a) for a, _ in subs)
    y = sum(len(b) for _, b in subs)
    known = model_for_hash(header.model_hash)
    try:
        spec_line = f" ({get_spec(known).description})" if known else " (not a shipped model)"
    except ModelError:
        spec_line = ""
    return "\n".join([
        f"format      .plic v{bitstream.VERSION}, {len(data)} bytes, "
        f"{8 * len(data) / (header.height * header.width):.4f} bpp",
        f"image       {header.width}x{header.height} RGB",
        f"model       {header.model_name or '?'} hash {header.model_hash.hex()}{spec_line}",
        f"tiling      {grid.patch}x{grid.patch} patches, overlap {grid.overlap}, {grid.rows}x{grid.cols} = {grid.count}",
        f"substreams  z {z} bytes, y {y} bytes, container {len(data) - z - y} bytes",
    ])
