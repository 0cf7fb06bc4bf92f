"""Stand-ins for the board's devices that record every transaction: off-board driver tests and host mode.

- `SimMemory.allocate` plays `pynq.allocate`: each buffer is the CPU's view (a numpy array) of a separate
  "device" copy at a physical address above 4 GiB (so the high address word is exercised); `flush` copies CPU
  -> device and `invalidate` device -> CPU, exactly the cache maintenance the board needs, so a driver that
  forgets either gets wrong numbers here too. Every flush/invalidate is logged.
- `RecordingRegisters` plays an IP's MMIO: it logs each register write/read; `done_after` says after how many
  polls ap_done rises (`None`: never, to test the timeout).
- `SimKernel` is a RecordingRegisters that, on ap_start, reads its argument registers back (offsets from the
  kernel interface), finds the buffers at those addresses and runs `compute` on device memory.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from pylic.board.interface import KernelSpec
from pylic.errors import BoardError

BASE_ADDRESS = 0x8_0000_0000  # above 4 GiB: a wrong high word shows
Log = list[tuple]


class SimBuffer(np.ndarray):
    device_address: int
    memory: "SimMemory"

    def flush(self) -> None:
        self.memory.flush(self)

    def invalidate(self) -> None:
        self.memory.invalidate(self)


class SimMemory:
    """Contiguous 'device' memory with a CPU cache in front (see module doc)."""

    def __init__(self, log: Log | None = None):
        self.log: Log = log if log is not None else []
        self.device: dict[int, np.ndarray] = {}
        self._next = BASE_ADDRESS
        self._lock = threading.Lock()

    def allocate(self, shape: tuple[int, ...], dtype=np.uint8) -> SimBuffer:
        buf = np.zeros(shape, dtype=dtype).view(SimBuffer)
        with self._lock:
            buf.device_address, self._next = self._next, self._next + ((buf.nbytes + 4095) // 4096 + 1) * 4096
        buf.memory = self
        self.device[buf.device_address] = np.zeros(shape, dtype=dtype)
        return buf

    def flush(self, buf: SimBuffer) -> None:
        self.log.append(("flush", buf.device_address))
        self.device[buf.device_address][...] = buf

    def invalidate(self, buf: SimBuffer) -> None:
        self.log.append(("invalidate", buf.device_address))
        np.ndarray.__setitem__(buf, Ellipsis, self.device[buf.device_address])

    def at(self, address: int) -> np.ndarray:
        if address not in self.device:
            raise BoardError(f"kernel addressed {address:#x}, which is no allocated buffer")
        return self.device[address]


class RecordingRegisters:
    """An IP's register file that logs every access; ap_done rises `done_after` polls after ap_start."""

    def __init__(self, log: Log | None = None, done_after: int | None = 0, ctrl: int = 0):
        self.log: Log = log if log is not None else []
        self.regs: dict[int, int] = {}
        self.done_after, self.ctrl = done_after, ctrl
        self._polls = -1

    def write(self, offset: int, value: int) -> None:
        if not 0 <= value <= 0xFFFF_FFFF:
            raise BoardError(f"register write of {value:#x} at {offset:#x} is not a 32-bit word")
        self.log.append(("write", offset, value))
        self.regs[offset] = value
        if offset == self.ctrl and value & 1:
            self.on_start()
            self._polls = 0

    def read(self, offset: int) -> int:
        value = self.regs.get(offset, 0)
        if offset == self.ctrl and self._polls >= 0:
            done = self.done_after is not None and self._polls >= self.done_after
            self._polls += 1
            value = 0x6 if done else 0x0  # ap_done | ap_idle once finished; clear-on-read afterwards
            if done:
                self._polls = -1
        self.log.append(("read", offset, value))
        return value

    def on_start(self) -> None:
        self.log.append(("start",))


class SimKernel(RecordingRegisters):
    """Executes `compute(kernel_args, memory)` when started; args are read back from the registers."""

    def __init__(self, spec: KernelSpec, memory: SimMemory, compute: Callable[[dict[str, int], SimMemory], None],
                 log: Log | None = None, done_after: int | None = 0):
        super().__init__(log if log is not None else memory.log, done_after, spec.control["ap_ctrl"])
        self.spec, self.memory, self.compute = spec, memory, compute

    def args(self) -> dict[str, int]:
        return {n: sum(self.regs.get(a.offset + 4 * w, 0) << (32 * w) for w in range(a.words))
                for n, a in self.spec.args.items()}

    def on_start(self) -> None:
        super().on_start()
        self.compute(self.args(), self.memory)


def gdn_compute(kernel: Callable[[np.ndarray], np.ndarray], channels: int,
                chunk: int = 2048) -> Callable[[dict[str, int], SimMemory], None]:
    """What a GDN/iGDN kernel does to device memory: n_pixels int8 pixels of `channels`, src -> dst (the
    golden kernel runs on `chunk` pixels at a time; per-pixel results do not depend on it)."""

    def compute(args: dict[str, int], memory: SimMemory) -> None:
        n = args["n_pixels"]
        src = memory.at(args["src"])[: n * channels].reshape(n, channels)
        dst = memory.at(args["dst"])[: n * channels].reshape(n, channels)
        for i in range(0, n, chunk):
            dst[i:i + chunk] = kernel(src[i:i + chunk])
    return compute
