"""pylic's rANS core: byte-identical to CompressAI's coder, lossless, bounds-checked, thread-parallel, portable."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from compressai import ans
from compressai.entropy_models import EntropyBottleneck, GaussianConditional
from compressai.models.base import get_scale_table

from pylic.errors import BitstreamError
from pylic.ps import rans
from pylic.ps.rans import CdfTables


@pytest.fixture(scope="module")
def gaussian() -> CdfTables:
    gc = GaussianConditional(None)
    gc.update_scale_table(get_scale_table(), force=True)
    return CdfTables(gc.quantized_cdf.numpy(), gc.cdf_length.numpy(), gc.offset.numpy())


def random_tables(rng: np.random.Generator, rows: int = 24) -> CdfTables:
    """Factorized-prior tables of a randomly initialised EntropyBottleneck (CompressAI's own CDF builder)."""
    torch.manual_seed(int(rng.integers(1 << 30)))
    eb = EntropyBottleneck(rows, init_scale=float(rng.uniform(2, 40)))
    with torch.no_grad():
        for p in eb.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    eb.update(force=True)
    return CdfTables(eb.quantized_cdf.numpy(), eb.cdf_length.numpy(), eb.offset.numpy())


def random_symbols(rng: np.random.Generator, t: CdfTables, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Mostly in-table symbols, some far outside (the bypass path, both signs, up to 2**24)."""
    idx = rng.integers(0, t.rows, n).astype(np.int32)
    span = t.lengths[idx] - 1
    sym = t.offsets[idx] + rng.integers(-2, span + 2)
    far = rng.random(n) < 0.02
    sym[far] = rng.integers(-(1 << 24), 1 << 24, far.sum())
    return sym.astype(np.int32), idx


def compressai_encode(sym, idx, t: CdfTables) -> bytes:
    cdfs = [row[: n].tolist() for row, n in zip(t.cdfs, t.lengths)]
    return ans.RansEncoder().encode_with_indexes(sym.tolist(), idx.tolist(), cdfs, t.lengths.tolist(),
                                                 t.offsets.tolist())


@pytest.mark.parametrize("seed", range(6))
def test_bytes_equal_compressai_and_decode_both_ways(gaussian, seed):
    rng = np.random.default_rng(seed)
    t = gaussian if seed % 2 else random_tables(rng)
    sym, idx = random_symbols(rng, t, int(rng.integers(1, 20000)))
    ours = rans.encode(sym, idx, t)
    theirs = compressai_encode(sym, idx, t)
    assert ours == theirs
    np.testing.assert_array_equal(rans.decode(theirs, idx, t), sym)
    cdfs = [row[: n].tolist() for row, n in zip(t.cdfs, t.lengths)]
    back = ans.RansDecoder().decode_with_indexes(ours, idx.tolist(), cdfs, t.lengths.tolist(), t.offsets.tolist())
    np.testing.assert_array_equal(np.array(back), sym)


def test_empty_and_single_symbol(gaussian):
    for n in (0, 1):
        sym, idx = np.zeros(n, np.int32), np.zeros(n, np.int32)
        data = rans.encode(sym, idx, gaussian)
        assert len(data) == 8 and rans.decode(data, idx, gaussian).shape == (n,)


def test_staged_decoder_reads_one_stream_in_parts(gaussian):
    rng = np.random.default_rng(7)
    sym, idx = random_symbols(rng, gaussian, 5000)
    dec = rans.Decoder(rans.encode(sym, idx, gaussian))
    parts = [dec.read(idx[a:b], gaussian) for a, b in ((0, 1000), (1000, 1001), (1001, 5000))]
    dec.finish()
    np.testing.assert_array_equal(np.concatenate(parts), sym)


def test_truncation_and_extension_are_refused(gaussian):
    rng = np.random.default_rng(3)
    sym, idx = random_symbols(rng, gaussian, 3000)
    data = rans.encode(sym, idx, gaussian)
    for n in range(0, len(data)):
        with pytest.raises(BitstreamError):
            rans.decode(data[:n], idx, gaussian)
    with pytest.raises(BitstreamError, match="end"):
        rans.decode(data + bytes(4), idx, gaussian)
    with pytest.raises(BitstreamError, match="end"):
        rans.decode(data, idx[:-1], gaussian)  # a decoder that stops early sees unread words


def test_garbage_never_reads_past_the_end(gaussian):
    """Random streams of every length: each call returns or raises BitstreamError (the C core bounds-checks;
    a read past the end would be caught by the strict end check or crash the process)."""
    rng = np.random.default_rng(5)
    idx = rng.integers(0, gaussian.rows, 4000).astype(np.int32)
    refused = 0
    for n in range(8, 400, 4):
        try:
            rans.decode(rng.integers(0, 256, n, dtype=np.uint8).tobytes(), idx, gaussian)
        except BitstreamError:
            refused += 1
    assert refused == len(range(8, 400, 4))


def test_crafted_endless_bypass_is_refused():
    """A stream that keeps saying 'more bypass chunks' (CompressAI would loop and shift past 32 bits)."""
    t = CdfTables(np.array([[0, 1, 65536]]), np.array([3]), np.array([0]))  # symbol 1 (bypass) has p ~ 1
    data = struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF) + b"\xff" * 64
    with pytest.raises(BitstreamError, match="bypass"):
        rans.decode(data, np.zeros(1, np.int32), t)


@pytest.mark.parametrize("cdf,length,offset", [
    ([[0, 5, 5, 65536]], [4], [0]),        # not strictly increasing
    ([[1, 5, 9, 65536]], [4], [0]),        # does not start at 0
    ([[0, 5, 9, 65535]], [4], [0]),        # does not end at 2**16
    ([[0, 5, 65536]], [4], [0]),           # length beyond the row
    ([[0, 65536, 65536]], [2], [0]),       # too short
    ([[0, 5, 65536]], [3], [1 << 21]),     # offset out of range
])
def test_bad_tables_are_refused(cdf, length, offset):
    with pytest.raises(BitstreamError):
        CdfTables(np.array(cdf), np.array(length), np.array(offset))


def test_out_of_range_values_and_indexes_are_typed_errors(gaussian):
    with pytest.raises(BitstreamError, match="index"):
        rans.encode(np.zeros(3, np.int32), np.array([0, 1, gaussian.rows], np.int32), gaussian)
    with pytest.raises(BitstreamError, match="too far"):
        rans.encode(np.array([1 << 31 - 1], np.int32), np.zeros(1, np.int32), gaussian)
    with pytest.raises(BitstreamError, match="index"):
        rans.decode(rans.encode(np.zeros(2, np.int32), np.zeros(2, np.int32), gaussian),
                    np.array([0, -1], np.int32), gaussian)


def test_threads_code_in_parallel_and_agree(gaussian):
    """The C calls release the GIL: substreams coded in threads give the serial bytes (and overlap in time)."""
    rng = np.random.default_rng(11)
    jobs = [random_symbols(rng, gaussian, 20000) for _ in range(8)]
    serial = [rans.encode(s, i, gaussian) for s, i in jobs]
    assert rans.map_threads(lambda j: rans.encode(j[0], j[1], gaussian), jobs, workers=4) == serial
    decoded = rans.map_threads(lambda k: rans.decode(serial[k], jobs[k][1], gaussian), range(8), workers=4)
    for (s, _), d in zip(jobs, decoded):
        np.testing.assert_array_equal(d, s)
    seen = set()

    def spy(k: int) -> None:
        seen.add(threading.get_ident())
        rans.decode(serial[k], jobs[k][1], gaussian)

    rans.map_threads(spy, range(8), workers=2)
    assert len(seen) == 2


def test_ps_coder_imports_without_torch():
    code = ("import sys, numpy as np\n"
            "from pylic.ps import rans, latent, container, container_v1, footprint\n"
            "t = rans.CdfTables(np.array([[0, 30000, 65536]]), np.array([3]), np.array([-1]))\n"
            "s = np.array([-1, 0, 5, -9], np.int32); i = np.zeros(4, np.int32)\n"
            "assert (rans.decode(rans.encode(s, i, t), i, t) == s).all()\n"
            "bad = [m for m in ('torch', 'compressai') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _cross_tools() -> tuple[str, str] | None:
    cc, qemu = shutil.which("aarch64-linux-gnu-gcc"), shutil.which("qemu-aarch64") or shutil.which(
        "qemu-aarch64-static")
    return (cc, qemu) if cc and qemu else None


@pytest.mark.skipif(_cross_tools() is None, reason="needs aarch64-linux-gnu-gcc and qemu-aarch64 "
                    "(apt-get install gcc-aarch64-linux-gnu qemu-user)")
def test_aarch64_build_writes_the_same_bytes(tmp_path, gaussian):
    """The C core cross-compiled for aarch64 and run under qemu codes the same inputs into the same bytes."""
    from pathlib import Path

    cc, qemu = _cross_tools()
    src = Path(__file__).with_name("rans_driver.c")
    inc = Path(rans.__file__).parent
    exe = tmp_path / "rans_aarch64"
    subprocess.run([cc, "-O2", "-static", "-I", str(inc), "-o", str(exe), str(src)], check=True, timeout=120)
    rng = np.random.default_rng(21)
    for t in (gaussian, random_tables(rng)):
        sym, idx = random_symbols(rng, t, 30000)
        blob = struct.pack("<qii", sym.size, t.rows, t.cdfs.shape[1])
        blob += b"".join(a.astype("<i4").tobytes() for a in (sym, idx, t.cdfs, t.lengths, t.offsets))
        (tmp_path / "in.bin").write_bytes(blob)
        subprocess.run([qemu, str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], check=True, timeout=120)
        out = (tmp_path / "out.bin").read_bytes()
        n = struct.unpack_from("<q", out)[0]
        assert out[8:8 + n] == rans.encode(sym, idx, t)
        np.testing.assert_array_equal(np.frombuffer(out, "<i4", sym.size, 8 + n), sym)
        assert struct.unpack_from("<i", out, 8 + n + 4 * sym.size)[0] == 0
