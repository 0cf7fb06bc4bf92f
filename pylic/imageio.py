"""Reading and writing 8-bit RGB images, with one clear error for everything pylic cannot code."""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from pylic.codec.bitstream import MAX_PIXELS
from pylic.errors import ImageError

# One size limit for encoder and decoder: the decoder refuses streams above bitstream.MAX_PIXELS, so the encoder
# refuses such images up front (typed error, before decoding any pixel) instead of writing an undecodable stream.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own decompression-bomb guard, at the same limit
HIGH_DEPTH_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
# 16/32 bits per sample with a byte order ("RGB;16B" PNG/PPM, "RGB;16L" TIFF); not BMP's packed "BGR;16" (5-6-5)
DEEP_RAWMODE = re.compile(r";(16|32)[BLNSF]")


def check_size(height: int, width: int) -> None:
    """Refuse a frame the decoder would refuse (more than `bitstream.MAX_PIXELS` pixels)."""
    if height * width > MAX_PIXELS:
        raise ImageError(f"image {width}x{height} has {height * width} pixels, over the limit of {MAX_PIXELS} "
                         "(8192x8192) that pylic decoders accept")


def _deep_tile(codec: str, args: object) -> bool:
    """Does one decoder tile (known after open, before any pixel is read) deliver more than 8 bits per sample?"""
    raw = args if isinstance(args, str) else (args[0] if isinstance(args, tuple) and args else "")
    if isinstance(raw, str) and DEEP_RAWMODE.search(raw):
        return True
    # PPM/PGM keep the sample range in maxval: above 255 the samples are 16-bit (the raw mode says only "RGB")
    return codec == "ppm" and isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], int) and args[1] > 255


def is_high_depth(img: Image.Image) -> bool:
    """More than 8 bits per sample. Pillow opens 16-bit RGB PNG/TIFF/PPM as mode RGB and silently reduces them to
    8 bits on load, so the mode alone does not tell: the decoder's raw mode, PPM's maxval and TIFF's
    BitsPerSample do."""
    if img.mode in HIGH_DEPTH_MODES or any(_deep_tile(t[0], t[3]) for t in img.tile):
        return True
    bits = img.tag_v2.get(258) if hasattr(img, "tag_v2") else None
    return bits is not None and max(bits if isinstance(bits, tuple) else (bits,)) > 8


def _gray_high_byte(img: Image.Image) -> np.ndarray:
    """16-bit gray -> 8-bit RGB by keeping the high byte (v >> 8), the rule Pillow applies to 16-bit RGB."""
    g = np.clip(np.asarray(img).astype(np.int64) >> 8, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(g[..., None], 3, axis=2))


def read_image(path: str | Path, convert_16bit: bool = False) -> np.ndarray:
    """HxWx3 uint8. Gray and palette images are expanded to RGB; RGBA is accepted only when fully opaque (the
    codec has no alpha channel). Refused with ImageError: multi-frame files (animated GIF/PNG, multi-page TIFF),
    more pixels than decoders accept, float images, and 16-bit images unless `convert_16bit` (then the high
    byte of each sample is kept)."""
    path = Path(path)
    try:
        with warnings.catch_warnings():  # Pillow warns above the limit; check_size below refuses with a reason
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            if getattr(img, "n_frames", 1) > 1:
                raise ImageError(f"{path}: has {img.n_frames} frames (animation or pages); pylic codes one "
                                 "still image: extract the frame you want")
            check_size(img.height, img.width)  # before any pixel is decoded
            mode = img.mode
            deep = is_high_depth(img)
            if deep and (not convert_16bit or mode == "F"):
                raise ImageError(f"{path}: {mode} image with more than 8 bits per sample is not supported; convert "
                                 "it to 8-bit RGB (or, for 16-bit, pass --convert-16bit to keep the high byte)")
            img.load()
            if deep and mode in HIGH_DEPTH_MODES:
                return _gray_high_byte(img)
            # 16-bit RGB(A) that got here was asked for: Pillow's 8-bit view of it keeps the high byte
            if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
                rgba = np.asarray(img.convert("RGBA"))
                if (rgba[..., 3] != 255).any():
                    raise ImageError(f"{path}: image has transparency; pylic codes RGB only")
                return np.ascontiguousarray(rgba[..., :3])
            if mode == "CMYK":
                raise ImageError(f"{path}: CMYK images are not supported; convert to RGB")
            return np.ascontiguousarray(np.asarray(img.convert("RGB")))
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{path}: is a directory") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{path}: over the limit of {MAX_PIXELS} pixels that pylic decoders accept") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageError(f"{path}: cannot read image ({exc.__class__.__name__})") from None


def write_image(image: np.ndarray, path: str | Path) -> None:
    """Atomic write: a temporary file in the same folder, renamed when complete."""
    path = Path(path)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"{path}: unknown image format for suffix {path.suffix!r}")
    atomic_write(path, lambda f: Image.fromarray(image).save(f, format=fmt))


def atomic_write(path: str | Path, write) -> None:
    """Call write(file) on a temporary sibling of `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it visible
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; outputs get the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_file(path: str | Path, data: bytes | str, *, skip_identical: bool = False) -> Path:
    """The one file writer: `data` (bytes, or text written as UTF-8) to `path`, atomically (`atomic_write`).
    Path first, like `atomic_write`. With `skip_identical`, a file that already holds exactly `data` is left
    untouched (its mtime stays), so tools watching mtimes see no change."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if skip_identical and path.is_file() and path.stat().st_size == len(raw) and path.read_bytes() == raw:
        return path
    atomic_write(path, lambda f: f.write(raw))
    return path
