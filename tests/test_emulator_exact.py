"""The emulator's exactness guard at the shapes it really runs, and byte-identical encoding whatever the thread
count: torch picks its convolution algorithm by shape, thread count and CPU, so a 6x6 smoke test proves nothing
about a batch of 8 x C x 256² patches."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from pylic.errors import PylicError
from pylic.runtime import intconv
from pylic.runtime.emulator import CheckedConv, EmulatorBackend
from pylic.zoo.packages import DEFAULT_PACKAGE, shipped_packages

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _conv_names(emu: EmulatorBackend) -> set[str]:
    return {s.conv.name for p in emu.programs.values() for s in p if isinstance(s, CheckedConv)}


@pytest.mark.parametrize("name", sorted(shipped_packages()))
def test_every_layer_is_proven_exact_at_the_production_shapes(name):
    emu = EmulatorBackend(shipped_packages()[name].folder, threads=1)
    try:
        shapes = emu.prove_exact(batch=8)
    finally:
        emu.close()
    m = emu.package.manifest
    assert set(shapes) == _conv_names(emu) and len(shapes) == 14
    assert shapes["g_a.0"] == (8, 3, 256, 256)
    assert shapes["h_a.0"] == (8, m.config.M, 16, 16)
    assert shapes["h_s.0"] == (8, m.config.z, 4, 4)
    assert shapes["g_s.6"] == (8, m.config.gs[2], 128, 128)
    key = (intconv.digest(emu.programs["g_a"][0].conv), (8, 3, 256, 256), torch.get_num_threads())
    assert key in intconv.verified()


def test_verify_runs_once_per_layer_shape_and_thread_count(tiny_quant, monkeypatch):
    monkeypatch.setattr(intconv, "_verified", set())
    conv = EmulatorBackend(tiny_quant[2], self_check=False).programs["g_a"][0]
    assert intconv.verify(conv, (2, 3, 64, 64)) is True
    assert intconv.verify(conv, (2, 3, 64, 64)) is False
    assert intconv.verify(conv, (3, 3, 64, 64)) is True
    monkeypatch.setattr(torch, "get_num_threads", lambda: 7)
    assert intconv.verify(conv, (2, 3, 64, 64)) is True


def test_a_kernel_inexact_only_at_large_shapes_is_caught(tiny_quant, monkeypatch):
    """An error a 6x6 test cannot see (one accumulator off by one at the bottom-right of big outputs) must stop
    the emulator before it produces bytes."""
    monkeypatch.setattr(intconv, "_verified", set())
    real = intconv.IntConv.accumulate

    def flawed(self, x):
        acc = real(self, x)
        if acc.shape[-1] >= 64:
            acc[..., -1, -1] += 1
        return acc

    monkeypatch.setattr(intconv.IntConv, "accumulate", flawed)
    emu = EmulatorBackend(tiny_quant[2], threads=1)
    intconv.self_test(emu.programs["g_a"][0].conv)  # the old 6x6 smoke test passes
    with pytest.raises(PylicError, match="not exact .* shape \\(8, 3, 256, 256\\)"):
        emu.prove_exact(batch=8)
    with pytest.raises(PylicError, match="not exact"):
        emu.analysis(np.zeros((1, 3, 256, 256), np.uint8))  # real data meets the same guard


ENCODE = """
import hashlib, sys
import numpy as np, torch
n = int(sys.argv[1])
torch.set_num_threads(n)
from pylic.codec import Codec
from pylic.eval.images import load_skimage
from pylic.runtime.emulator import EmulatorBackend
image = np.ascontiguousarray(load_skimage(("astronaut",))["astronaut"][:300, :400])
data = Codec(EmulatorBackend(sys.argv[2], threads=n)).encode(image)
print(torch.get_num_threads(), len(data), hashlib.sha256(data).hexdigest())
"""


def test_encoding_in_fresh_processes_with_1_and_2_threads_gives_the_same_bytes():
    """Two fresh interpreters (torch's thread pools are fixed at start-up): ~11 s on an idle 2-core machine."""
    folder = str(shipped_packages()[DEFAULT_PACKAGE].folder)
    out = []
    for n in (1, 2):
        env = {**os.environ, "OMP_NUM_THREADS": str(n), "MKL_NUM_THREADS": str(n)}
        r = subprocess.run([sys.executable, "-c", ENCODE, str(n), folder], capture_output=True, text=True,
                           timeout=300, env=env)
        assert r.returncode == 0, r.stderr
        threads, size, digest = r.stdout.split()
        assert int(threads) == n and int(size) > 100
        out.append(digest)
    assert out[0] == out[1]
