"""HLS kernel drivers against recording devices: exact register writes (offsets from the interface JSON, 64-bit
addresses as two words), flush before start and invalidate after done, and a typed timeout."""

from __future__ import annotations

import time

import numpy as np
import pytest

from pylic.board import interface
from pylic.board.kernel import GdnDriver, HlsKernel
from pylic.board.sim import RecordingRegisters, SimKernel, SimMemory, gdn_compute
from pylic.errors import BoardError, KernelTimeoutError
from tests.board_helpers import gdn_entry, interface_doc


def _spec(src=0x10, dst=0x1C, n=0x28, ctrl=0):
    e = gdn_entry()
    e["args"]["src"]["offset"], e["args"]["dst"]["offset"], e["args"]["n_pixels"]["offset"] = src, dst, n
    e["control"] = {"ap_ctrl": ctrl, "gie": 4 if ctrl != 4 else 0, "ier": 8, "isr": 12}
    return interface.parse(interface_doc(e))[0]


@pytest.mark.parametrize("offsets", [(0x10, 0x1C, 0x28), (0x40, 0x18, 0x30)])
def test_exact_register_writes_from_the_interface(offsets):
    spec = _spec(*offsets)
    regs = RecordingRegisters()
    mem = SimMemory()
    a, b = mem.allocate((64,), np.int8), mem.allocate((64,), np.int8)
    assert a.device_address >> 32 and b.device_address >> 32  # the high word is not zero
    HlsKernel(spec, regs).set_args(src=a, dst=b, n_pixels=7)
    src, dst, n = offsets
    assert regs.log == [("write", src, a.device_address & 0xFFFFFFFF), ("write", src + 4, a.device_address >> 32),
                        ("write", dst, b.device_address & 0xFFFFFFFF), ("write", dst + 4, b.device_address >> 32),
                        ("write", n, 7)]


def test_scalar_range_and_argument_names_are_checked():
    k = HlsKernel(_spec(), RecordingRegisters())
    with pytest.raises(BoardError, match="fit 32 bits"):
        k.set_args(n_pixels=1 << 32)
    with pytest.raises(BoardError, match="no argument"):
        k.set_args(length=3)
    with pytest.raises(BoardError, match="device buffer"):
        k.set_args(src=0x1000)
    regs = RecordingRegisters()
    HlsKernel(_spec(), regs).set_args(n_pixels=-1)
    assert regs.log == [("write", 0x28, 0xFFFFFFFF)]  # two's complement word


def test_start_polls_ap_done_then_returns():
    regs = RecordingRegisters(done_after=3, ctrl=4)
    HlsKernel(_spec(ctrl=4), regs, poll_s=0).start()
    assert regs.log[0] == ("write", 4, 1) and regs.log[1] == ("start",)
    polls = [e for e in regs.log if e[0] == "read"]
    assert [p[2] & 2 for p in polls] == [0, 0, 0, 2]


def test_kernel_that_never_finishes_raises_typed_timeout():
    regs = RecordingRegisters(done_after=None)
    t0 = time.monotonic()
    with pytest.raises(KernelTimeoutError, match="gdn_g_a_1.*ap_done"):
        HlsKernel(_spec(), regs, timeout_s=0.05).start()
    assert 0.05 <= time.monotonic() - t0 < 1.0


def test_gdn_driver_transaction_order_and_result():
    mem = SimMemory()
    spec = _spec()
    channels = 4
    dev = SimKernel(spec, mem, gdn_compute(lambda x: (x // 2).astype(np.int8), channels, chunk=3))
    drv = GdnDriver(HlsKernel(spec, dev), mem.allocate, channels, max_pixels=16)
    x = np.arange(-20, 20, dtype=np.int8).reshape(1, 2, 5, 4)
    out = drv(x)
    np.testing.assert_array_equal(out, x // 2)
    kinds = [e[0] for e in mem.log if e[0] != "read"]
    assert kinds == ["flush", "write", "write", "write", "write", "write", "write", "start", "invalidate"]
    assert mem.log[0] == ("flush", drv.src.device_address) and mem.log[-1][0] == "invalidate"
    assert [e for e in mem.log if e[0] == "invalidate"] == [("invalidate", drv.dst.device_address)]
    assert ("write", 0x28, 10) in mem.log  # n_pixels = 2 * 5
    with pytest.raises(BoardError, match="exceed"):
        drv(np.zeros((1, 5, 5, 4), np.int8))
    with pytest.raises(BoardError, match="int8"):
        drv(np.zeros((1, 2, 2, 3), np.int8))


def test_missing_cache_maintenance_would_show():
    """The simulated memory is not coherent: the kernel reads what was flushed, not the CPU's view."""
    mem = SimMemory()
    buf = mem.allocate((4,), np.int8)
    buf[:] = 5
    assert not mem.at(buf.device_address).any()
    buf.flush()
    assert (mem.at(buf.device_address) == 5).all()
    mem.at(buf.device_address)[:] = 9
    assert (buf == 5).all()
    buf.invalidate()
    assert (buf == 9).all()
