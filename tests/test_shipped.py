"""The shipped models: they load, their recorded hash is right, and they beat JPEG on real photos."""

import json

import numpy as np
import pytest

from pylic import api
from pylic.demo import run_demo
from pylic.eval import baselines
from pylic.eval.images import load_skimage
from pylic.eval.metrics import bpp, psnr
from pylic.eval.report import psnr_at
from pylic.models.registry import DEFAULT_MODEL, MODELS, WEIGHTS_DIR

SHIPPED = sorted(n for n, s in MODELS.items() if s.weights)


def test_default_model_is_shipped():
    assert DEFAULT_MODEL in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_weights_load_and_hash_matches_recipe(name):
    meta = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    backend = api.backend_for(name)
    assert backend.model_hash.hex() == meta["hash"]
    assert api.model_for_hash(backend.model_hash) == name
    assert (WEIGHTS_DIR / meta["weights"]).stat().st_size <= 10 * 2**20


@pytest.fixture(scope="module")
def jpeg_curves() -> list[tuple[np.ndarray, list[tuple[float, float]]]]:
    """The two bundled photographs with their Pillow JPEG quality sweeps, computed once for every model."""
    images = load_skimage(("astronaut", "chelsea"))
    return [(img, [baselines.jpeg(img, q) for q in range(2, 96, 3)]) for img in images.values()]


@pytest.mark.parametrize("name", ["pylic-hp-v2-q2", "pylic-hp-v2-q3"])
def test_beats_jpeg_at_equal_rate_between_025_and_06_bpp(name, jpeg_curves):
    """On bundled photographs the default models' PSNR is above JPEG's at the same bpp (log-rate
    interpolation on a Pillow quality sweep), over the 0.25-0.6 bpp range the issue asks about (measured:
    +2.4 to +2.6 dB at ~0.33 bpp, +1.0 to +1.2 dB at ~0.55 bpp)."""
    codec = api.codec_for(name)
    gains = []
    for img, jpeg_curve in jpeg_curves:
        data = codec.encode(img)
        rate, quality = bpp(len(data), img), psnr(img, codec.decode(data))
        assert 0.25 < rate < 0.62, (name, rate)
        gains.append(quality - psnr_at(jpeg_curve, rate))
    assert np.mean(gains) > 0.5, (name, gains)


def test_default_int8_package_beats_jpeg_on_the_bundled_photos(jpeg_curves):
    """The demo's default deploy package, on the bit-exact emulator, is above JPEG's PSNR at the same bpp on both
    bundled photographs (the issue's bar: the hardware student must beat JPEG, not tie it)."""
    from pylic.zoo.packages import DEFAULT_PACKAGE

    codec = api.codec_for(DEFAULT_PACKAGE)
    gains = []
    for img, jpeg_curve in jpeg_curves:
        data = codec.encode(img)
        gains.append(psnr(img, codec.decode(data)) - psnr_at(jpeg_curve, bpp(len(data), img)))
    assert min(gains) > 0.5, gains


def test_demo_writes_streams_and_images(tmp_path):
    img = load_skimage(("chelsea",))
    rows = run_demo(tmp_path, images=img, echo=lambda *_: None, csim=False)
    assert (tmp_path / "chelsea.plic").stat().st_size == rows[0]["bytes"]
    assert (tmp_path / "chelsea.png").is_file()
    assert 0.05 < rows[0]["bpp"] < 2.0 and rows[0]["psnr"] > 26.0


def test_decode_finds_the_model_from_the_hash(tmp_path):
    from PIL import Image

    from pylic.cli import main

    src = tmp_path / "in.png"
    Image.fromarray(np.ascontiguousarray(load_skimage(("coffee",))["coffee"][:200, :260])).save(src)
    assert main(["encode", str(src), "-o", str(tmp_path / "a.plic")]) == 0
    assert main(["decode", str(tmp_path / "a.plic"), "-o", str(tmp_path / "a.png")]) == 0
    assert np.asarray(Image.open(tmp_path / "a.png")).shape == (200, 260, 3)
