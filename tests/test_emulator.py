"""EmulatorBackend: bit-exact golden ops behind the codec, deterministic bitstreams, package binding,
closeness to the float model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pylic.codec import Codec
from pylic.deploy import entropy, load
from pylic.deploy.example import photo_patches, tiny_quantized
from pylic.errors import BitstreamError
from pylic.eval.metrics import psnr
from pylic.fixed.gdn_golden import gdn_fixed
from pylic.runtime import TorchBackend
from pylic.runtime.emulator import CheckedConv, EmulatorBackend, GdnStep
from pylic.runtime.intconv import IntConv, reference


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def emu(tiny_quant):
    return EmulatorBackend(tiny_quant[2], name="tiny-emu")


@pytest.fixture(scope="module")
def image(photo):
    return np.ascontiguousarray(photo[100:400, 50:450])  # 300x400: 4 patches, padded edges


def _golden(backend: EmulatorBackend, t: str, x_q: np.ndarray) -> np.ndarray:
    """A transform through the slow definitions: int64 conv reference and gdn_fixed, op by op."""
    x = x_q.astype(np.int64)
    for step in backend.programs[t]:
        step = step.conv if isinstance(step, CheckedConv) else step
        if isinstance(step, IntConv):
            x = reference(step, x).astype(np.int64)
        elif isinstance(step, GdnStep):
            x = gdn_fixed(x.transpose(0, 2, 3, 1).astype(np.int8), step.params).transpose(0, 3, 1, 2).astype(np.int64)
        else:
            x = np.minimum(np.abs(x), 127)
    return x


def test_transforms_equal_the_golden_definitions(emu):
    patches = photo_patches()[:2]
    x_q = emu.tables.input_lut[patches].astype(np.int64)
    y = emu.analysis(patches)
    np.testing.assert_array_equal(y, _golden(emu, "g_a", x_q))
    z = emu.hyper_analysis(y)
    np.testing.assert_array_equal(z, _golden(emu, "h_a", y.astype(np.int64)))
    q = _golden(emu, "h_s", z.astype(np.int64))
    idx = emu.prior_indexes(z)
    assert idx.dtype == np.int32 and idx.min() >= 0 and idx.max() <= 63
    sigma = torch.from_numpy(q.astype(np.float32) * 2.0 ** -emu.package.manifest.entropy.sigma_position)
    _, gc = entropy.build_modules(emu.package.manifest.entropy, dict(emu.package.arrays))
    np.testing.assert_array_equal(idx, gc.build_indexes(sigma).numpy())
    out = emu.synthesis(y)
    f = emu.package.manifest.pixels.output_position
    ref = np.clip(np.floor(_golden(emu, "g_s", y.astype(np.int64)) * 255 / 2**f + 0.5), 0, 255)
    np.testing.assert_array_equal(out, ref.astype(np.uint8))


def test_latents_are_int8_integers(emu):
    y = emu.analysis(photo_patches()[:1])
    assert y.dtype == np.float32 and np.array_equal(y, np.round(y)) and y.min() >= -128 and y.max() <= 127


def test_pixel_conversions(tiny_quant):
    emu = EmulatorBackend(tiny_quant[2])
    lut = emu.tables.input_lut
    assert (lut[0], lut[128], lut[253], lut[254], lut[255]) == (0, 64, 127, 127, 127)  # 128*128/255 = 64.25


def test_codec_round_trip_is_deterministic(emu, image, tiny_package_dir):
    codec = Codec(emu)
    data = codec.encode(image)
    assert codec.encode(image) == data
    out = codec.decode(data)
    np.testing.assert_array_equal(codec.decode(data), out)
    fresh = EmulatorBackend(load(tiny_package_dir))  # from disk, new process state
    fresh = EmulatorBackend(fresh.package, name=emu.name)  # the name is part of the .plic header
    assert Codec(fresh).encode(image) == data
    np.testing.assert_array_equal(Codec(fresh).decode(data), out)


def test_bitstream_from_another_package_is_refused(emu, image):
    data = Codec(emu).encode(image)
    other = EmulatorBackend(tiny_quantized(seed=0, precision="single")[2])
    assert other.model_hash != emu.model_hash
    with pytest.raises(BitstreamError):
        Codec(other).decode(data)


def test_float_bitstream_is_refused_by_the_emulator(emu, tiny_quant, image):
    data = Codec(TorchBackend(tiny_quant[0], "float")).encode(image)
    with pytest.raises(BitstreamError):
        Codec(emu).decode(data)


def _fit_tiny(steps: int = 120, seed: int = 0, lr: float = 1e-2):
    """A tiny model fitted for a few seconds on crops of real photos, so that it reconstructs structure."""
    from pylic.eval.images import load_skimage
    from pylic.models import HyperpriorConfig, ScaleHyperprior
    from pylic.train.rd import rd_loss

    torch.manual_seed(seed)
    photos = list(load_skimage(("astronaut", "coffee", "chelsea")).values())
    rng = np.random.default_rng(seed)
    model = ScaleHyperprior(HyperpriorConfig.uniform(8, 16))
    main = [p for n, p in model.named_parameters() if not n.endswith("quantiles")]
    aux = [p for n, p in model.named_parameters() if n.endswith("quantiles")]
    opt, aux_opt = torch.optim.Adam(main, lr=lr), torch.optim.Adam(aux, lr=3e-2)
    for _ in range(steps):
        crops = []
        for _ in range(4):
            im = photos[rng.integers(3)]
            y0, x0 = rng.integers(im.shape[0] - 64), rng.integers(im.shape[1] - 64)
            crops.append(im[y0:y0 + 64, x0:x0 + 64])
        x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255
        loss = rd_loss(model(x), x, 0.02)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        a = model.aux_loss()
        aux_opt.zero_grad()
        a.backward()
        aux_opt.step()
    model.eval()
    model.update(force=True)
    return model


def test_emulator_is_close_to_the_float_model():
    """PTQ of a (briefly) trained tiny model: decoded images within a bounded PSNR of the float codec's."""
    from pylic.deploy.export import build_package
    from pylic.eval.images import load_skimage
    from pylic.quant.calibrate import calibrate

    image = np.ascontiguousarray(load_skimage(("coffee",))["coffee"][:300, 100:500])
    model = _fit_tiny()
    pkg = build_package(model, calibrate(model, photo_patches()))
    emu, flt = Codec(EmulatorBackend(pkg)), Codec(TorchBackend(model))
    d_emu, d_flt = emu.encode(image), flt.encode(image)
    o_emu, o_flt = emu.decode(d_emu), flt.decode(d_flt)
    p_emu, p_flt = psnr(image, o_emu), psnr(image, o_flt)
    print(f"float {p_flt:.3f} dB {len(d_flt)} B, emulator {p_emu:.3f} dB {len(d_emu)} B, "
          f"emulator vs float {psnr(o_flt, o_emu):.2f} dB")
    assert p_flt > 11  # the model does reconstruct something (measured ~13 dB; a random model gives ~5)
    assert abs(p_emu - p_flt) < 0.5  # measured ~0.03 dB
    assert psnr(o_flt, o_emu) > 28  # measured ~35.6 dB
    assert abs(len(d_emu) - len(d_flt)) < 0.05 * len(d_flt)


def test_bench_writes_a_ratio(tmp_path):
    from pylic.bench import bench_emulator

    rep = bench_emulator(tmp_path / "b.json", synthetic=True, N=8, M=16, height=256, width=256, repeats=1,
                         echo=lambda *a: None)
    saved = json.loads((tmp_path / "b.json").read_text())
    assert saved["ratio"]["total"] == rep["ratio"]["total"] > 0
    assert saved["patches"] == 1 and set(saved["seconds"]) == {"float", "emulator"}


def test_threaded_gdn_equals_sequential(tiny_quant):
    patches = photo_patches()[:1]
    one, two = EmulatorBackend(tiny_quant[2], threads=1), EmulatorBackend(tiny_quant[2], threads=2)
    np.testing.assert_array_equal(one.analysis(patches), two.analysis(patches))
    two.close()
