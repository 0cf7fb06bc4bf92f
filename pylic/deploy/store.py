"""DeployPackage: the one artifact between quantization and every reader (DESIGN §2).

On disk a folder named by the short content hash holding `manifest.json` and `weights.npz` (uncompressed, no
pickles). The content hash is SHA-256 over the canonical manifest JSON (without the hash itself) and every
array's name, dtype, shape and bytes; its first 16 bytes are the model hash written into every `.plic`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from pylic.deploy.atomic import publish_dir, temp_dir_beside
from pylic.imageio import write_file
from pylic.deploy.manifest import DeployError, Manifest
from pylic.deploy.validate import validate

MANIFEST, WEIGHTS = "manifest.json", "weights.npz"
SHORT_HASH = 16  # hex characters in the folder name
MAX_MANIFEST_BYTES = 16 << 20
ALLOWED_DTYPES = {"int8", "int32", "float32"}


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def content_hash(manifest: dict, arrays: Mapping[str, np.ndarray]) -> str:
    """Hex SHA-256 of the manifest (its `content_hash` key excluded) and all arrays in name order."""
    h = hashlib.sha256()
    h.update(canonical_json({k: v for k, v in manifest.items() if k != "content_hash"}))
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"\n{name}|{a.dtype.str}|{a.shape}\n".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True, order="C")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class DeployPackage:
    """Typed manifest + read-only integer arrays. Construct through `make` (validates, hashes) or `load`."""

    manifest: Manifest
    arrays: Mapping[str, np.ndarray]
    content_hash: str = field(default="")

    @classmethod
    def make(cls, manifest: Manifest, arrays: Mapping[str, np.ndarray]) -> "DeployPackage":
        arrays = {k: _frozen(v) for k, v in arrays.items()}
        declared = {k: {"dtype": a.dtype.name, "shape": list(a.shape)} for k, a in sorted(arrays.items())}
        manifest = dataclasses.replace(manifest, arrays=declared)
        validate(manifest, arrays)
        return cls(manifest, MappingProxyType(arrays), content_hash(manifest.to_dict(), arrays))

    @property
    def model_hash(self) -> bytes:
        """16 bytes for the `.plic` header: a bitstream names the exact package that made it."""
        return bytes.fromhex(self.content_hash)[:16]

    @property
    def short_hash(self) -> str:
        return self.content_hash[:SHORT_HASH]

    def manifest_json(self) -> str:
        return json.dumps({"content_hash": self.content_hash, **self.manifest.to_dict()}, indent=1)


def save(pkg: DeployPackage, parent: str | Path) -> Path:
    """Write `<parent>/<short hash>/` atomically (temp folder + rename); an existing identical package is kept."""
    final = Path(parent) / pkg.short_hash
    if final.exists():
        if load(final).content_hash == pkg.content_hash:
            return final
        raise DeployError(f"{final} exists and holds another package")
    tmp = temp_dir_beside(final)
    buf = io.BytesIO()
    np.savez(buf, **dict(pkg.arrays))
    write_file(tmp / WEIGHTS, buf.getvalue())
    write_file(tmp / MANIFEST, pkg.manifest_json().encode())
    publish_dir(tmp, final)
    return final


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, RuntimeError) as exc:
        raise DeployError(f"{path}: unreadable weights ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:  # zlib/zip internals raise assorted types on corrupt members
        raise DeployError(f"{path}: unreadable weights ({exc.__class__.__name__}: {exc})") from None


MAX_DEPTH = 16  # the manifest schema nests 6 deep; anything deeper is not a manifest
MAX_INT_DIGITS = 18  # |int| < 10**18 while parsing (the schema then bounds each field far tighter)


def _no_constants(name: str):
    raise ValueError(f"{name} is not allowed in a manifest")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):  # 1e400 parses to inf, which no field accepts and canonical JSON cannot write
        raise ValueError(f"number {text[:32]} is out of range")
    return v


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer {text[:32]}... is out of range")
    return int(text)


def _check_depth(obj: object, where: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH (iteratively: a deep document must not exhaust the stack)."""
    stack = [(obj, 1)]
    while stack:
        o, depth = stack.pop()
        if isinstance(o, (dict, list)):
            if depth > MAX_DEPTH:
                raise DeployError(f"{where}: nested deeper than {MAX_DEPTH} levels")
            stack.extend((v, depth + 1) for v in (o.values() if isinstance(o, dict) else o))


def parse_manifest_json(text: str, where: str) -> dict:
    """The manifest's JSON with every malformed number or structure as DeployError: NaN/Infinity, numbers that
    overflow (1e400), integers of more than 18 digits, nesting deeper than MAX_DEPTH, not an object."""
    try:
        raw = json.loads(text, parse_constant=_no_constants, parse_float=_finite_float, parse_int=_bounded_int)
    except RecursionError:
        raise DeployError(f"{where}: not valid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise DeployError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise DeployError(f"{where}: not a JSON object")
    _check_depth(raw, where)
    return raw


def load(path: str | Path) -> DeployPackage:
    """Read and fully validate a package folder: format version, keys, declared arrays, content hash, and every
    structural invariant. Any problem raises DeployError."""
    folder = Path(path)
    mpath, wpath = folder / MANIFEST, folder / WEIGHTS
    if not mpath.is_file() or not wpath.is_file():
        raise DeployError(f"{folder} is not a deploy package (needs {MANIFEST} and {WEIGHTS})")
    if mpath.stat().st_size > MAX_MANIFEST_BYTES:
        raise DeployError(f"{mpath} is implausibly large")
    try:
        text = mpath.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeployError(f"{mpath}: not valid JSON ({exc})") from None
    raw = parse_manifest_json(text, str(mpath))
    if not isinstance(raw.get("content_hash"), str):
        raise DeployError(f"{mpath}: no content hash")
    stated = raw.pop("content_hash")
    manifest = Manifest.from_dict(raw)
    arrays = _read_arrays(wpath)
    declared = manifest.arrays
    if set(declared) != set(arrays):
        raise DeployError(f"weights.npz holds {sorted(set(arrays) ^ set(declared))} unlike the manifest declares")
    for k, a in arrays.items():
        d = declared[k]
        if not isinstance(d, dict) or d.get("dtype") not in ALLOWED_DTYPES or a.dtype.name != d.get("dtype") \
                or list(a.shape) != d.get("shape"):
            raise DeployError(f"array {k}: {a.dtype.name} {list(a.shape)} does not match the manifest's {d}")
    actual = content_hash(manifest.to_dict(), arrays)
    if actual != stated:
        raise DeployError(f"{folder}: content hash mismatch (manifest says {stated[:16]}, contents give "
                          f"{actual[:16]}); the package was modified")
    validate(manifest, arrays)
    return DeployPackage(manifest, MappingProxyType({k: _frozen(v) for k, v in arrays.items()}), actual)
