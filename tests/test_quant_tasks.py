"""The bodies of `invoke quantize` / `invoke export`: checkpoint -> quantized folder -> deploy package."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from pylic.deploy import load, run_export
from pylic.deploy.example import photo_patches
from pylic.quant import QuantError, run_quantize


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from pylic.models.synthetic import synthetic_model

    root = tmp_path_factory.mktemp("q")
    data = root / "photos"
    data.mkdir()
    for i, p in enumerate(photo_patches()):
        Image.fromarray(p.transpose(1, 2, 0)).save(data / f"{i}.png")
    model = synthetic_model(0, N=8, M=16)
    ck = root / "ck.pt"
    torch.save({"state_dict": model.state_dict(), "config": {"lmbda": 0.01}}, ck)
    return ck, data


@pytest.mark.parametrize("mode", ["ptq", "qat"])
def test_quantize_then_export(inputs, tmp_path, mode):
    ck, data = inputs
    out = tmp_path / mode
    summary = run_quantize(str(out), checkpoint=str(ck), mode=mode, data=data, calib=3, steps=1, batch=1,
                           crop=64, progress=False)
    assert summary["mode"] == mode and json.loads((out / "summary.json").read_text()) == summary
    folder = run_export(out, tmp_path / "packages")
    pkg = load(folder)
    assert folder.name == pkg.short_hash and pkg.manifest.precision == "mixed"
    assert run_export(out, tmp_path / "packages") == folder  # deterministic: same content, same name


def test_bad_mode_is_refused(inputs, tmp_path):
    with pytest.raises(QuantError):
        run_quantize(str(tmp_path), checkpoint=str(inputs[0]), mode="int4", data=inputs[1])
