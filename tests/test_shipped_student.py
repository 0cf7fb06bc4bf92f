"""The shipped hardware-ready student: its deploy packages validate, bitstreams name them, the emulator stays
close to the float student it was quantized from, and its GDN kernels pass csim bit for bit."""

import json

import numpy as np
import pytest

from pylic import api
from pylic.deploy import load
from pylic.eval.images import load_skimage
from pylic.eval.metrics import psnr
from pylic.runtime import EmulatorBackend
from pylic.zoo.packages import DEFAULT_PACKAGE, PACKAGES_DIR, shipped_packages

PACKAGES = shipped_packages()
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_default_package_is_shipped():
    assert DEFAULT_PACKAGE in PACKAGES


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_package_validates_and_is_found_by_hash(name):
    meta = json.loads((PACKAGES_DIR / f"{name}.json").read_text())
    pkg = load(PACKAGES[name].folder)
    assert pkg.content_hash == meta["content_hash"] and pkg.manifest.precision == "mixed"
    assert api.model_for_hash(pkg.model_hash) == name
    size = sum(f.stat().st_size for f in PACKAGES[name].folder.iterdir())
    assert size < 4 * 2**20, size


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_emulator_tracks_its_float_student(name):
    """The int8 emulator of the package and the float student it was quantized from (its recipe names it)
    code a real photo at nearly the same rate and quality. The int8 cost grows with the rate point (8-bit
    activations at power-of-two positions). Measured on this crop: -0.18 to +0.16 dB for the N=22 students,
    -0.43 dB for `pylic-student-v2-q2-int8` and -0.86 dB for `pylic-student-v2-q4-int8` (docs/student.md)."""
    meta = json.loads((PACKAGES_DIR / f"{name}.json").read_text())
    img = np.ascontiguousarray(load_skimage(("astronaut",))["astronaut"][:256, :512])
    emu, flt = api.codec_for(name), api.codec_for(meta["recipe"]["float_model"])
    assert isinstance(emu.backend, EmulatorBackend)
    de, df = emu.encode(img), flt.encode(img)
    pe, pf = psnr(img, emu.decode(de)), psnr(img, flt.decode(df))
    assert abs(len(de) / len(df) - 1) < 0.10, (len(de), len(df))
    assert pe > pf - 1.0, (pe, pf)
    assert emu.encode(img) == de  # deterministic


def test_cli_decodes_a_shipped_package_stream_without_being_told(tmp_path):
    from PIL import Image

    from pylic.cli import main

    src, plic, png = tmp_path / "in.png", tmp_path / "a.plic", tmp_path / "a.png"
    Image.fromarray(np.ascontiguousarray(load_skimage(("coffee",))["coffee"][:200, :260])).save(src)
    assert main(["encode", str(src), "-o", str(plic), "--package", DEFAULT_PACKAGE]) == 0
    assert main(["decode", str(plic), "-o", str(png)]) == 0
    assert np.array_equal(np.asarray(Image.open(png)), api.codec_for(DEFAULT_PACKAGE).decode(plic.read_bytes()))


@pytest.mark.slow
@pytest.mark.csim
def test_shipped_package_kernels_pass_csim(tmp_path):
    from pylic.demo import csim_package

    results = csim_package(PACKAGES[DEFAULT_PACKAGE].folder, tmp_path, echo=lambda *_: None)
    if results is None:
        pytest.skip("no g++ or AP types headers")
    assert len(results) == 7 and all(r.passed for r in results)
