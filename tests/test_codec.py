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


def _one_patch(backend, photo) -> tuple[LatentCoder, np.ndarray, np.ndarray]:
    """A coder over the backend's tables, and the y and z latents of the photo's top-left patch."""
    y = backend.analysis(photo[None, :256, :256].transpose(0, 3, 1, 2).copy())
    return LatentCoder(backend.entropy), y, backend.hyper_analysis(y)


def test_entropy_coding_is_lossless(tiny_backend, photo):
    coder, y, z = _one_patch(tiny_backend, photo)
    z_strings, z_hat = coder.encode_z(z)
    np.testing.assert_array_equal(coder.decode_z(z_strings, z.shape[-2:]), z_hat)
    medians = tiny_model_medians(tiny_backend)
    np.testing.assert_array_equal(z_hat, np.round(z - medians) + medians)  # EB codes round(z - median)
    idx = tiny_backend.prior_indexes(z_hat)
    y_hat = coder.decode_y(coder.encode_y(y, idx), idx)
    np.testing.assert_array_equal(y_hat, np.round(y))


def tiny_model_medians(backend) -> np.ndarray:
    return backend.model.entropy_bottleneck._get_medians().detach().numpy().reshape(1, -1, 1, 1)


def test_v1_bytes_are_compressai_bytes(tiny_backend, photo):
    """Container v1 substreams are exactly what CompressAI's own compress() writes for the same latents."""
    coder, y, z = _one_patch(tiny_backend, photo)
    z_strings, z_hat = coder.encode_z(z)
    assert z_strings == tiny_backend.model.entropy_bottleneck.compress(torch.from_numpy(z))
    idx = tiny_backend.prior_indexes(z_hat)
    gc = tiny_backend.model.gaussian_conditional
    assert coder.encode_y(y, idx) == gc.compress(torch.from_numpy(y), torch.from_numpy(idx))


def test_v2_decodes_to_the_v1_picture_in_fewer_bytes(tiny_backend, photo):
    """Skipping latents outside the frame changes no pixel of it (481x321: two of four patches mostly padding)."""
    img = np.ascontiguousarray(photo[:321, :481])
    v1, v2 = Codec(tiny_backend, version=1).encode(img), Codec(tiny_backend).encode(img)
    assert v1[4] == 1 and v2[4] == 2 and len(v2) < len(v1)
    np.testing.assert_array_equal(Codec(tiny_backend).decode(v1), Codec(tiny_backend).decode(v2))


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
    for version in (1, 2):
        data = Codec(tiny_backend, overlap=32, version=version).encode(photo[:300, :400])
        header, subs = bitstream.read(data)
        assert (header.height, header.width, header.patch, header.overlap) == (300, 400, 256, 32)
        assert header.model_hash == tiny_backend.model_hash and header.version == version
        assert header.model_name == ("tiny" if version == 1 else "")
        assert len(subs) == header.grid.count == 4
