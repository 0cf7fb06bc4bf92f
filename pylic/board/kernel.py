"""Drivers of pylic's HLS kernels over their s_axilite registers: the one place that writes a register.

`HlsKernel` drives one compute unit through any object with `write(offset, value)` / `read(offset)` (a PYNQ
`DefaultIP`, or a recording device in tests); every offset comes from the kernel interface JSON. Pointers are
written as two 32-bit words (low word at the argument's offset, high word 4 bytes above), as the generated
`x<top>_hw.h` lays them out. `start` writes ap_start and polls ap_done (bit 1, clear-on-read) until a timeout,
then raises `KernelTimeoutError`: a kernel that never finishes is an error, never a hang.

`GdnDriver` runs one GDN/iGDN kernel on int8 channels-last pixels: copy into its input buffer, flush the cache,
write src/dst/n_pixels, start, wait, invalidate the output buffer, copy out. The kernel is shared by every lane,
so a lock serialises its users.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Protocol

import numpy as np

from pylic.board.interface import KernelSpec
from pylic.errors import BoardError, KernelTimeoutError

AP_START, AP_DONE, AP_IDLE = 1, 2, 4
WORD = 0xFFFF_FFFF


class Registers(Protocol):
    def write(self, offset: int, value: int) -> None: ...

    def read(self, offset: int) -> int: ...


class DeviceBuffer(Protocol):
    """What `pynq.allocate` returns: a numpy array with a physical address and explicit cache maintenance."""

    device_address: int
    shape: tuple[int, ...]

    def flush(self) -> None: ...

    def invalidate(self) -> None: ...

    def __setitem__(self, key: Any, value: Any) -> None: ...

    def __getitem__(self, key: Any) -> Any: ...


Allocate = Callable[..., DeviceBuffer]  # allocate(shape=..., dtype=...)


class HlsKernel:
    """One HLS compute unit: named argument writes and a start/poll/timeout handshake."""

    def __init__(self, spec: KernelSpec, regs: Registers, timeout_s: float = 1.0, poll_s: float = 20e-6):
        self.spec, self.regs, self.timeout_s, self.poll_s = spec, regs, timeout_s, poll_s

    def set_args(self, **values: int | DeviceBuffer) -> None:
        """Write every named argument; a buffer is written as its device address."""
        for name, value in values.items():
            arg = self.spec.args.get(name)
            if arg is None:
                raise BoardError(f"kernel {self.spec.top} has no argument {name!r} ({sorted(self.spec.args)})")
            v = value.device_address if hasattr(value, "device_address") else value
            if arg.kind == "pointer" and not hasattr(value, "device_address"):
                raise BoardError(f"kernel {self.spec.top}: argument {name} needs a device buffer")
            v = int(v)  # type: ignore[arg-type]
            if not -(1 << (arg.bits - 1)) <= v < (1 << arg.bits):
                raise BoardError(f"kernel {self.spec.top}: {name}={v} does not fit {arg.bits} bits")
            v &= (1 << arg.bits) - 1
            for w in range(arg.words):
                self.regs.write(arg.offset + 4 * w, (v >> (32 * w)) & WORD)

    def start(self) -> None:
        """ap_start, then poll ap_done; `KernelTimeoutError` after `timeout_s`."""
        ctrl = self.spec.control["ap_ctrl"]
        self.regs.write(ctrl, AP_START)
        deadline = time.monotonic() + self.timeout_s
        while not self.regs.read(ctrl) & AP_DONE:
            if time.monotonic() > deadline:
                raise KernelTimeoutError(f"kernel {self.spec.top} did not raise ap_done within {self.timeout_s} s")
            time.sleep(self.poll_s)  # also releases the GIL for the other lanes


    def call(self, inputs: tuple[DeviceBuffer, ...] = (), outputs: tuple[DeviceBuffer, ...] = (),
             **args: int | DeviceBuffer) -> None:
        """One complete transaction: flush `inputs`, write `args`, start and wait, invalidate `outputs`."""
        for buf in inputs:
            buf.flush()
        self.set_args(**args)
        self.start()
        for buf in outputs:
            buf.invalidate()


class GdnDriver:
    """One GDN/iGDN kernel: int8 (..., C) channels-last in, same shape out."""

    def __init__(self, kernel: HlsKernel, allocate: Allocate, channels: int, max_pixels: int):
        self.kernel, self.channels, self.max_pixels = kernel, channels, max_pixels
        self.src = allocate(shape=(max_pixels * channels,), dtype=np.int8)
        self.dst = allocate(shape=(max_pixels * channels,), dtype=np.int8)
        self.lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if x.dtype != np.int8 or x.shape[-1] != self.channels:
            raise BoardError(f"{self.kernel.spec.top}: expected int8 (..., {self.channels}), got {x.dtype} {x.shape}")
        n = x.size // self.channels
        if n > self.max_pixels:
            raise BoardError(f"{self.kernel.spec.top}: {n} pixels exceed its buffers ({self.max_pixels})")
        with self.lock:
            self.src[: x.size] = x.reshape(-1)
            self.kernel.call((self.src,), (self.dst,), src=self.src, dst=self.dst, n_pixels=n)
            return np.array(self.dst[: x.size], dtype=np.int8).reshape(x.shape)
