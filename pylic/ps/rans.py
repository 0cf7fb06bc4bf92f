"""rANS entropy coding in CompressAI's exact stream format, without torch (numpy + a small C core).

`encode(symbols, indexes, tables) -> bytes` and `decode(data, indexes, tables) -> int32 array` mirror
CompressAI's `RansEncoder.encode_with_indexes` / `RansDecoder.decode_with_indexes`: the bytes are identical
(tests/test_rans.py proves it on random tables and symbols), so every stream CompressAI wrote decodes here.
Unlike CompressAI, decoding is bounds-checked and strict: any stream that would read past its end, or does
not end exactly where an encoder ends, raises BitstreamError. `Decoder` decodes one stream in stages (z, then
y with tables chosen from the decoded z). The C calls run without the GIL, so `map_threads` codes independent
substreams in parallel.
"""

from __future__ import annotations

import ctypes
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

import numpy as np

from pylic.errors import BitstreamError

PRECISION = 16
MAX_BYPASS_PARTS = 10  # per symbol: the CDF symbol, one bypass-count chunk, at most 8 raw chunks
_ERRORS = {-1: "table index out of range", -2: "symbol too far outside its table to code",
           -3: "output buffer too small", -4: "truncated (reads past the end of the stream)",
           -5: "invalid bypass length", -6: "stream does not end where its encoder ended (corrupt or trailing data)",
           -7: "stream length is not a whole number of 32-bit words of at least 8 bytes"}
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class CdfTables:
    """Quantized CDF rows (int32 [rows, width]), their lengths and offsets: what CompressAI keeps in
    `quantized_cdf`, `cdf_length`, `offset`. Validated on construction because the coder trusts them."""

    cdfs: np.ndarray
    lengths: np.ndarray
    offsets: np.ndarray

    def __post_init__(self) -> None:
        cdfs = np.ascontiguousarray(self.cdfs, dtype=np.int32)
        lengths = np.ascontiguousarray(self.lengths, dtype=np.int32).reshape(-1)
        offsets = np.ascontiguousarray(self.offsets, dtype=np.int32).reshape(-1)
        rows = cdfs.shape[0] if cdfs.ndim == 2 else -1
        if rows < 1 or lengths.shape != (rows,) or offsets.shape != (rows,):
            raise BitstreamError(f"CDF tables of shapes {cdfs.shape}, {lengths.shape}, {offsets.shape} do not fit")
        if (lengths < 3).any() or (lengths > cdfs.shape[1]).any() or (np.abs(offsets.astype(np.int64)) > 1 << 20).any():
            raise BitstreamError("CDF lengths outside 3..width or offsets beyond 2**20")
        col = np.arange(cdfs.shape[1])[None, :]
        inside = col < lengths[:, None]
        steps = np.diff(cdfs.astype(np.int64), axis=1)
        last = cdfs[np.arange(rows), lengths - 1]
        if (cdfs[:, 0] != 0).any() or (last != 1 << PRECISION).any() or (steps <= 0)[inside[:, 1:]].any():
            raise BitstreamError("CDF rows must increase strictly from 0 to 2**16")
        object.__setattr__(self, "cdfs", cdfs)
        object.__setattr__(self, "lengths", lengths)
        object.__setattr__(self, "offsets", offsets)

    @property
    def rows(self) -> int:
        return int(self.cdfs.shape[0])

    @staticmethod
    def concat(*tables: "CdfTables") -> "CdfTables":
        """One table set holding the rows of each in order (row r of tables[k] moves by the rows before it)."""
        width = max(t.cdfs.shape[1] for t in tables)
        cdfs = np.concatenate([np.pad(t.cdfs, ((0, 0), (0, width - t.cdfs.shape[1])), mode="edge") for t in tables])
        return CdfTables(cdfs, np.concatenate([t.lengths for t in tables]), np.concatenate([t.offsets for t in tables]))


class _State(ctypes.Structure):
    _fields_ = [("x", ctypes.c_uint64), ("pos", ctypes.c_int64)]


_LIB: ctypes.CDLL | None = None


def _lib() -> ctypes.CDLL:
    global _LIB
    if _LIB is None:
        from pylic.ps.rans_build import load

        lib = load()
        p, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32
        lib.pylic_rans_encode.argtypes = [p, p, i64, p, i32, p, p, i32, p, i64]
        lib.pylic_rans_encode.restype = i64
        lib.pylic_rans_dec_init.argtypes = [p, i64, ctypes.POINTER(_State)]
        lib.pylic_rans_decode.argtypes = [p, i64, ctypes.POINTER(_State), p, i64, p, i32, p, p, i32, p]
        lib.pylic_rans_dec_finish.argtypes = [ctypes.POINTER(_State), i64]
        for f in (lib.pylic_rans_dec_init, lib.pylic_rans_decode, lib.pylic_rans_dec_finish):
            f.restype = ctypes.c_int
        _LIB = lib
    return _LIB


def _ptr(a: np.ndarray) -> int:
    return a.ctypes.data


def _int32(a, name: str) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=np.int32).reshape(-1)
    if out.size and isinstance(a, np.ndarray) and a.dtype.kind not in "iu":
        raise BitstreamError(f"{name} must be integers, got {a.dtype}")
    return out


def encode(symbols: np.ndarray, indexes: np.ndarray, tables: CdfTables) -> bytes:
    """Code int32 `symbols` with table rows `indexes` (same size); out-of-table values go through bypass."""
    sym, idx = _int32(symbols, "symbols"), _int32(indexes, "indexes")
    if sym.shape != idx.shape:
        raise BitstreamError(f"{sym.size} symbols but {idx.size} indexes")
    t = tables
    n = -3
    for words in (2 * sym.size + 4, MAX_BYPASS_PARTS * sym.size + 2):  # typical size first, then the worst case
        out = np.empty(4 * words, dtype=np.uint8)
        n = _lib().pylic_rans_encode(_ptr(sym), _ptr(idx), sym.size, _ptr(t.cdfs), t.cdfs.shape[1], _ptr(t.lengths),
                                     _ptr(t.offsets), t.rows, _ptr(out), out.size)
        if n != -3:
            break
    if n < 0:
        raise BitstreamError(f"rANS encode: {_ERRORS.get(int(n), n)}")
    return out[:n].tobytes()


class Decoder:
    """Decodes one stream in stages: `read(indexes, tables)` as often as needed, then `finish()`."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.state = _State()
        self._check(_lib().pylic_rans_dec_init(self.data, len(self.data), ctypes.byref(self.state)))

    @staticmethod
    def _check(rc: int) -> None:
        if rc != 0:
            raise BitstreamError(f"rANS decode: {_ERRORS.get(rc, rc)}")

    def read(self, indexes: np.ndarray, tables: CdfTables) -> np.ndarray:
        idx = _int32(indexes, "indexes")
        out = np.empty(idx.size, dtype=np.int32)
        t = tables
        self._check(_lib().pylic_rans_decode(self.data, len(self.data), ctypes.byref(self.state), _ptr(idx), idx.size,
                                             _ptr(t.cdfs), t.cdfs.shape[1], _ptr(t.lengths), _ptr(t.offsets), t.rows,
                                             _ptr(out)))
        return out.reshape(np.shape(indexes))

    def finish(self) -> None:
        """Refuse the stream unless it ended exactly where its encoder ended."""
        self._check(_lib().pylic_rans_dec_finish(ctypes.byref(self.state), len(self.data)))


def decode(data: bytes, indexes: np.ndarray, tables: CdfTables) -> np.ndarray:
    """Inverse of `encode`: int32 symbols shaped like `indexes`; BitstreamError on any malformed stream."""
    dec = Decoder(data)
    out = dec.read(indexes, tables)
    dec.finish()
    return out


def default_workers() -> int:
    """Threads for parallel substreams: $PYLIC_CODER_THREADS, else the CPUs this process may use."""
    env = os.environ.get("PYLIC_CODER_THREADS")
    if env:
        return max(1, int(env))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def map_threads(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    """`[fn(x) for x in items]`, in parallel threads when it pays (the coder releases the GIL); results in order."""
    items = list(items)
    workers = min(workers or default_workers(), len(items))
    if workers <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))
