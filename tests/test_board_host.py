"""Host mode: the board runtime with the emulator behind VART-shaped runners and simulated GDN register files
writes byte-identical `.plic` streams to the plain emulator `Codec`, pipelined and sequential."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from pylic.board.codec import BoardBackend
from pylic.board.dpu import DpuRunners, segment_io
from pylic.board.host import EmulatedVart, host_hardware
from pylic.board.ps_path import PsPath
from pylic.board.session import Session
from pylic.codec import Codec
from pylic.errors import BitstreamError, BoardError, PipelineError
from pylic.runtime.emulator import EmulatorBackend


@pytest.fixture(scope="module")
def tiny_session(tiny_quant, one_torch_thread):
    pkg = tiny_quant[2]
    emu = EmulatorBackend(pkg, "tiny", threads=1)
    hw, vart = host_hardware(emu, cores=3)
    return Session(pkg, "tiny", hw, PsPath(pkg), False), emu, vart


@pytest.mark.parametrize("overlap", [0, 56])
def test_pipelined_and_sequential_match_the_emulator_codec(tiny_session, photo, overlap):
    session, emu, _ = tiny_session
    image = np.ascontiguousarray(photo[:300, :420])  # 2x2 patches at overlap 0, 2x3 at 56
    ref = Codec(emu, overlap=overlap)
    expected = ref.encode(image)
    decoded = ref.decode(expected)
    for mode in ("pipelined", "sequential"):
        codec = session.codec(mode, overlap)
        assert codec.encode(image) == expected
        assert set(codec.last_report.stage_s) >= {"pixels_in", "g_a.dpu0", "g_a.1", "z_encode", "y_encode"}
        np.testing.assert_array_equal(codec.decode(expected), decoded)
        assert "pixels_out" in codec.last_report.stage_s
    assert Codec(session.backend(), overlap=overlap).encode(image) == expected  # BoardBackend under Codec
    assert not [t for t in threading.enumerate() if t.name.startswith("pylic-")]


def test_context_tiling_on_the_lanes(tiny_session, photo):
    """Latent-domain tiling: analysis windows, then coding tiles (encode), coding tiles, then synthesis windows
    (decode), each phase through the lanes; the same bytes and pixels as the emulator's Codec."""
    session, emu, _ = tiny_session
    image = np.ascontiguousarray(photo[:300, :420])
    ref = Codec(emu, context=32)
    expected = ref.encode(image)
    decoded = ref.decode(expected)
    assert Codec(session.backend(), context=32).encode(image) == expected
    for mode in ("pipelined", "sequential"):
        codec = session.codec(mode, context=32)
        assert codec.encode(image) == expected
        assert {"g_a.dpu0", "h_a.dpu0", "z_encode", "y_encode"} <= set(codec.last_report.stage_s)
        np.testing.assert_array_equal(codec.decode(expected), decoded)
        assert codec.last_report.patches == 9 + 4  # 3 x 3 synthesis windows, 2 x 2 coding tiles
    assert not [t for t in threading.enumerate() if t.name.startswith("pylic-")]


def test_container_v1_on_the_lanes(tiny_session, photo):
    session, emu, _ = tiny_session
    image = np.ascontiguousarray(photo[:300, :420])
    ref = Codec(emu, overlap=56, version=1)
    expected = ref.encode(image)
    codec = session.codec("pipelined", 56, version=1)
    assert codec.encode(image) == expected
    np.testing.assert_array_equal(codec.decode(expected), ref.decode(expected))
    assert session.codec("sequential", 56).decode(expected).shape == image.shape  # a v2 codec reads v1 too


def test_runners_are_created_segment_by_core(tiny_session):
    session, _, vart = tiny_session
    segs = list(session.hardware.runners.runners)
    assert vart.created == [(s, k) for s in segs for k in range(3)]
    assert all(r.core == k for rs in session.hardware.runners.runners.values() for k, r in enumerate(rs))


def test_fix_position_or_shape_mismatch_is_refused_at_load(tiny_session):
    session, emu, _ = tiny_session
    m = session.package.manifest
    io = segment_io(m.transforms, m.patch)
    seg = "g_a.dpu1"
    wrong = dict(io)
    wrong[seg] = type(io[seg])(io[seg].in_dims, io[seg].out_dims, io[seg].in_fix + 1, io[seg].out_fix)
    vart = EmulatedVart(emu, wrong, 3)
    with pytest.raises(BoardError, match=f"{seg}: xmodel input .* fix {io[seg].in_fix + 1}.*package says"):
        DpuRunners({s: s for s in io}, io, 3, vart.create)
    with pytest.raises(BoardError, match="no xmodel subgraph"):
        DpuRunners({}, io, 3, vart.create)


def test_a_kernel_that_hangs_surfaces_in_the_caller(tiny_quant, photo, one_torch_thread):
    pkg = tiny_quant[2]
    hw, _ = host_hardware(EmulatorBackend(pkg, "tiny", threads=1), cores=3)
    driver = hw.gdn["g_a.3"]
    driver.kernel.regs.done_after = None  # ap_done never rises
    driver.kernel.timeout_s = 0.05
    session = Session(pkg, "tiny", hw, PsPath(pkg), False)
    with pytest.raises(PipelineError, match="stage g_a.3 failed") as info:
        session.codec("pipelined", timeout=30).encode(np.ascontiguousarray(photo[:256, :512]))
    assert type(info.value.__cause__).__name__ == "KernelTimeoutError"
    assert not [t for t in threading.enumerate() if t.name.startswith("pylic-")]


def test_board_modules_import_without_torch():
    mods = ["interface", "kernel", "sim", "dpu", "scheduler", "lanes", "ps_path", "codec", "overlay", "session",
            "host", "deploy", "bench"]
    code = ("import sys\n" + "".join(f"import pylic.board.{m}\n" for m in mods)
            + "bad = [m for m in ('torch', 'compressai', 'pynq', 'vart', 'xir') if m in sys.modules]\n"
            + "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_board_backend_delegates_entropy_to_the_package_tables(tiny_session):
    session, emu, _ = tiny_session
    backend: BoardBackend = session.backend()
    assert backend.entropy is session.ps.coder.t and backend.model_hash == emu.model_hash
    assert backend.layers == emu.layers and backend.patch == emu.patch
    np.testing.assert_array_equal(backend.entropy.z_medians, emu.entropy.z_medians)
    for t in ("z", "y"):
        np.testing.assert_array_equal(getattr(backend.entropy, t).cdfs, getattr(emu.entropy, t).cdfs)
