"""`pylic.ps`: the board's PS code imports without torch/CompressAI, and its integer pixel and prior ops equal
the definitions the packages were exported with."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pylic.ps import package, pixels, prior
from pylic.quant.rounding import POSITION_RANGE, quantize_param
from pylic.zoo.packages import DEFAULT_PACKAGE, shipped_packages

# What the PS imports. Adding a module to the board's torch-free set is one line here.
TORCH_FREE_MODULES = (
    "pylic.ps.package",
    "pylic.ps.pixels",
    "pylic.ps.prior",
    "pylic.ps.stages",
    "pylic.ps.tiling",
    "pylic.ps.footprint",
    "pylic.ps.rans",
    "pylic.ps.latent",
    "pylic.ps.container",
    "pylic.ps.container_v1",
    "pylic.codec.bitstream",
    "pylic.codec.tiling",
    "pylic.deploy",
    "pylic.imageio",
    "pylic.zoo.packages",
)
FORBIDDEN = ("torch", "compressai", "torchvision")


def test_ps_imports_and_loads_a_shipped_package_without_torch():
    folder = shipped_packages()[DEFAULT_PACKAGE].folder
    code = "\n".join([
        "import sys",
        *(f"import {m}" for m in TORCH_FREE_MODULES),
        "from pylic.ps.package import load, ps_tables",
        f"t = ps_tables(load({str(folder)!r}))",
        "assert t.index_lut.shape == (256,) and t.patch == 256",
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]",
        "print(bad)",
        "sys.exit(1 if bad else 0)",
    ])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("position", range(-8, 17))
def test_input_lut_is_the_exported_rounding(position):
    assert POSITION_RANGE[0] <= position <= POSITION_RANGE[1]
    expect = quantize_param(np.arange(256) / 255, position)
    np.testing.assert_array_equal(pixels.input_lut(position), expect)


@pytest.mark.parametrize("position", [-2, 0, 1, 7, 9])
def test_pixels_out_is_floor_half_up_and_clipped(position):
    q = np.arange(-128, 128, dtype=np.int8)
    expect = np.clip(np.floor(q.astype(np.float64) * 255 * 2.0 ** -position + 0.5), 0, 255)
    np.testing.assert_array_equal(pixels.pixels_out(q, position), expect.astype(np.uint8))


def test_abs_saturates_minus_128():
    q = np.array([-128, -127, -1, 0, 1, 127], dtype=np.int8)
    np.testing.assert_array_equal(prior.abs_sat(q), [127, 127, 1, 0, 1, 127])
    assert prior.abs_sat(q).dtype == np.int8


def test_z_symbols_round_trip_and_latent_saturation():
    rng = np.random.default_rng(0)
    z = rng.integers(-128, 128, size=(2, 4, 3, 3))
    med = np.array([-3, 0, 2, 7])
    s = prior.z_symbols(z, med)
    assert s.dtype == np.int32 and s[0, 3, 0, 0] == z[0, 3, 0, 0] - 7
    np.testing.assert_array_equal(prior.z_values(s, med), z)
    np.testing.assert_array_equal(prior.saturate_latent(np.array([-1000, -128, 5, 127, 1 << 40])),
                                  [-128, -128, 5, 127, 127])


def test_scale_index_counts_thresholds():
    thr = np.array([prior.ALWAYS, -5, 0, 3, 100], dtype=np.int32)
    lut = prior.index_lut(thr)
    q = np.array([-128, -5, -4, 0, 1, 3, 4, 127])
    np.testing.assert_array_equal(prior.scale_index(q, lut), [1, 1, 2, 2, 3, 3, 4, 5])


def test_ps_tables_of_the_shipped_packages_are_read_only_and_consistent():
    for shipped in shipped_packages().values():
        pkg = package.load(shipped.folder)
        t = package.ps_tables(pkg)
        assert t.model_hash == shipped.model_hash and t.patch == pkg.manifest.patch
        np.testing.assert_array_equal(t.index_lut, prior.index_lut(pkg.arrays["gc.thresholds"]))
        assert t.z_medians.shape == (pkg.manifest.config.z,)
        for a in (t.input_lut, t.index_lut, t.z_medians, *t.cdfs.values()):
            assert not a.flags.writeable
