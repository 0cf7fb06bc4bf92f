"""Reading and writing 8-bit RGB images, with one clear error for everything pylic cannot code."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from pylic.errors import ImageError

Image.MAX_IMAGE_PIXELS = 1 << 26  # refuse decompression bombs beyond 64 Mpixel


def read_image(path: str | Path) -> np.ndarray:
    """HxWx3 uint8. Gray and palette images are expanded to RGB; RGBA is accepted only when fully
    opaque (the codec has no alpha channel); 16-bit and float images are refused."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            if mode in ("I;16", "I;16B", "I;16L", "I", "F", "I;16N"):
                raise ImageError(f"{path}: {mode} images (16-bit/float) are not supported; convert to 8-bit RGB")
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
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
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


def write_bytes(data: bytes, path: str | Path) -> None:
    """Deprecated alias of `write_file(path, data)` (old argument order), kept so other branches merge."""
    write_file(path, data)


def write_text(text: str, path: str | Path) -> None:
    """Deprecated alias of `write_file(path, text)` (old argument order), kept so other branches merge."""
    write_file(path, text)
