"""Full Kodak round trips with the shipped default model (slow: ~24 images x 2 encodes + 1 decode)."""

import pytest

from pylic import api
from pylic.eval.images import kodak_available, load_kodak
from pylic.eval.rd import evaluate_codec, summary

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not kodak_available(), reason="Kodak images not found at ../shared/data/kodak"),
]


def test_kodak_roundtrip_sizes_and_determinism():
    images = load_kodak()
    results = evaluate_codec(api.codec_for(), images, check_determinism=True, progress=False)
    assert len(results) == 24
    assert all(r.deterministic for r in results)
    assert all((r.height, r.width) == images[r.name].shape[:2] for r in results)
    s = summary(results)
    assert 0.1 < s["bpp"] < 1.5 and s["psnr"] > 27.0
