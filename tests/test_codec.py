import numpy as np
import pytest
import torch

from pylic.codec import Codec, bitstream
from pylic.codec.entropy import LatentCoder
from pylic.errors import ImageError


@pytest.mark.parametrize("shape", [(1, 1), (17, 300), (256, 256), (257, 513)])
def test_roundtrip_keeps_size_and_is_deterministic(tiny_backend, photo, shape):
    img = np.ascontiguousarray(photo[: shape[0], : shape[1]])
    codec = Codec(tiny_backend, overlap=16)
    data = codec.encode(img)
    assert codec.encode(img) == data
    out = codec.decode(data)
    assert out.shape == img.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(codec.decode(data), out)


def test_entropy_coding_is_lossless(tiny_backend, photo):
    patches = photo[None, :256, :256].transpose(0, 3, 1, 2).copy()
    coder = LatentCoder(tiny_backend.entropy_bottleneck, tiny_backend.gaussian_conditional)
    y = tiny_backend.analysis(patches)
    z = tiny_backend.hyper_analysis(y)
    z_strings, z_hat = coder.encode_z(z)
    medians = tiny_backend.entropy_bottleneck._get_medians().detach().numpy().reshape(1, -1, 1, 1)
    np.testing.assert_array_equal(z_hat, np.round(z - medians) + medians)  # EB codes round(z - median)
    idx = tiny_backend.prior_indexes(z_hat)
    y_hat = coder.decode_y(coder.encode_y(y, idx), idx)
    np.testing.assert_array_equal(y_hat, np.round(y))


def test_decoder_matches_whole_pipeline(tiny_model, tiny_backend, photo):
    """decode(encode(x)) equals g_s(round(g_a(x))) patch by patch: the bitstream carries y exactly."""
    img = np.ascontiguousarray(photo[:256, :256])
    out = Codec(tiny_backend).decode(Codec(tiny_backend).encode(img))
    with torch.no_grad():
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
        ref = tiny_model.g_s(torch.round(tiny_model.g_a(x))).clamp(0, 1)
    ref = torch.floor(ref * 255 + 0.5).to(torch.uint8)[0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros((4, 4, 3), np.float32), "image.png"])
def test_bad_arrays_are_refused(tiny_backend, bad):
    with pytest.raises(ImageError):
        Codec(tiny_backend).encode(bad)


def test_header_fields(tiny_backend, photo):
    data = Codec(tiny_backend, overlap=32).encode(photo[:300, :400])
    header, subs = bitstream.unpack(data)
    assert (header.height, header.width, header.patch, header.overlap) == (300, 400, 256, 32)
    assert header.model_hash == tiny_backend.model_hash and header.model_name == "tiny"
    assert len(subs) == header.grid.count == 4
