"""Regression tests for the input holes of issue 9 (item 7, holes 3 and 4), each with its reproducer:
16-bit and multi-frame images, encoder/decoder size limits, and malformed numbers or structure in a deploy
manifest. Every one must end in the typed error, never in a traceback or a silent conversion."""

from __future__ import annotations

import json
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from pylic.codec.bitstream import MAX_PIXELS
from pylic.codec.codec import check_image
from pylic.deploy import DeployError, load, save
from pylic.deploy.store import content_hash
from pylic.errors import ImageError
from pylic.imageio import read_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(path, width: int, height: int, depth: int, color: int, rows: bytes) -> None:
    """A PNG written byte by byte (Pillow cannot write 16-bit RGB)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(rows))
                     + _chunk(b"IEND", b""))


@pytest.fixture()
def rgb16(tmp_path):
    a = np.random.default_rng(0).integers(0, 1 << 16, size=(6, 7, 3)).astype(np.uint16)
    path = tmp_path / "rgb16.png"
    _png(path, 7, 6, 16, 2, b"".join(b"\x00" + a[y].astype(">u2").tobytes() for y in range(6)))
    return path, a


# hole 3: images

def test_16bit_rgb_png_is_refused_unless_asked(rgb16):
    path, a = rgb16
    with pytest.raises(ImageError, match="8 bits per sample"):
        read_image(path)
    np.testing.assert_array_equal(read_image(path, convert_16bit=True), (a >> 8).astype(np.uint8))


def test_16bit_rgb_tiff_is_refused_unless_asked(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    a = np.random.default_rng(1).integers(0, 1 << 16, size=(5, 4, 3)).astype(np.uint16)
    path = tmp_path / "rgb16.tif"
    tifffile.imwrite(path, a, photometric="rgb")
    with pytest.raises(ImageError, match="8 bits per sample"):
        read_image(path)
    np.testing.assert_array_equal(read_image(path, convert_16bit=True), (a >> 8).astype(np.uint8))


def test_16bit_ppm_is_refused(tmp_path):
    a = np.random.default_rng(3).integers(0, 1 << 16, size=(4, 5, 3)).astype(">u2")
    path = tmp_path / "a16.ppm"
    path.write_bytes(b"P6\n5 4\n65535\n" + a.tobytes())
    with pytest.raises(ImageError, match="8 bits per sample"):
        read_image(path)


def test_16bit_gray_converts_by_the_same_rule(tmp_path):
    g = np.array([[0, 255, 256, 65535]], dtype=np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(g).save(path)
    with pytest.raises(ImageError):
        read_image(path)
    out = read_image(path, convert_16bit=True)
    np.testing.assert_array_equal(out[..., 0], [[0, 0, 1, 255]])
    assert out.shape == (1, 4, 3)


def test_8bit_images_are_unchanged(tmp_path):
    a = np.random.default_rng(2).integers(0, 256, size=(5, 6, 3)).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), a)


@pytest.mark.parametrize("suffix", [".gif", ".tif", ".png"])
def test_multi_frame_images_are_refused(tmp_path, suffix):
    frames = [Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)) for i in range(3)]
    path = tmp_path / f"anim{suffix}"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(ImageError, match="3 frames"):
        read_image(path)


def test_oversized_image_is_refused_before_decoding(tmp_path):
    """The issue's reproducer: 9000x9000 encoded in 78 s / 1.9 GiB into a stream the decoder refuses. Now
    refused from the header: only the first row exists, nothing near the frame's size is allocated."""
    path = tmp_path / "big.png"
    _png(path, 9000, 9000, 8, 2, b"\x00" + bytes(9000 * 3))
    tracemalloc.start()
    try:
        with pytest.raises(ImageError, match="over the limit"):
            read_image(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_encoder_and_decoder_share_one_size_limit():
    side = int(np.sqrt(MAX_PIXELS))  # 8192: exactly at the limit
    check_image(np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (side, side, 3)))
    with pytest.raises(ImageError, match="over the limit"):
        check_image(np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (side, side + 1, 3)))


def test_cli_refuses_a_16bit_image_with_exit_2(rgb16, tmp_path, capsys):
    from pylic.cli import main

    assert main(["encode", str(rgb16[0]), "-o", str(tmp_path / "x.plic")]) == 2
    assert "8 bits per sample" in capsys.readouterr().err
    assert not (tmp_path / "x.plic").exists()


# hole 4: deploy manifest

@pytest.fixture()
def saved(tiny_quant, tmp_path):
    return save(tiny_quant[2], tmp_path)


def _rewrite(folder, edit, rehash: bool = True) -> None:
    """Edit the manifest; with `rehash`, also forge a matching content hash (as an attacker would)."""
    path = folder / "manifest.json"
    d = json.loads(path.read_text())
    edit(d)
    if rehash:
        with np.load(folder / "weights.npz", allow_pickle=False) as npz:
            d["content_hash"] = content_hash(d, {k: npz[k] for k in npz.files})
    path.write_text(json.dumps(d))


def test_patch_1e400_is_a_deploy_error(saved):
    """The reproducer: `"patch": 1e400` parsed to inf and surfaced as an untyped ValueError."""
    path = saved / "manifest.json"
    path.write_text(path.read_text().replace('"patch": 256', '"patch": 1e400'))
    assert "1e400" in path.read_text()
    with pytest.raises(DeployError, match="out of range"):
        load(saved)


def test_deeply_nested_json_is_a_deploy_error(saved):
    """The reproducer: deep nesting raised RecursionError (traceback, exit 1)."""
    path = saved / "manifest.json"
    text = path.read_text()
    path.write_text(text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(DeployError, match="nested"):
        load(saved)


def test_moderate_nesting_with_a_valid_hash_is_refused(saved):
    def nest(d):
        v: object = 1
        for _ in range(40):
            v = [v]
        d["source"]["deep"] = v

    _rewrite(saved, nest)
    with pytest.raises(DeployError, match="nested deeper"):
        load(saved)


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.__setitem__("patch", True), "patch"),
    (lambda d: d.__setitem__("patch", 256.0), "patch"),
    (lambda d: d.__setitem__("patch", 1 << 40), "patch"),
    (lambda d: d.__setitem__("patch", 4096), "patch"),
    (lambda d: d["config"].__setitem__("M", True), "config"),
    (lambda d: d["config"].__setitem__("ga", [22.0, 22, 22]), "config"),
    (lambda d: d["entropy"].__setitem__("scale_bound", True), "scale_bound"),
    (lambda d: d["entropy"].__setitem__("y_levels", 10 ** 17), "y_levels"),
    (lambda d: d["pixels"].__setitem__("input_position", False), "input_position"),
    (lambda d: d["transforms"]["g_a"][0].__setitem__("stride", True), "stride"),
    (lambda d: d["transforms"]["g_a"][0].__setitem__("in_channels", 3.0), "in_channels"),
    (lambda d: d["transforms"]["g_a"][1]["gdn"]["format"].__setitem__("acc_bits", True), "gdn"),
    (lambda d: d["transforms"]["g_a"][1]["gdn"]["lut"]["a_format"].__setitem__("width", 18.0), "gdn"),
    (lambda d: d["transforms"]["g_a"][1]["gdn"]["lut"]["a_format"].__setitem__("signed", 1), "gdn"),
])
def test_wrong_json_types_with_a_valid_hash_are_refused(saved, edit, match):
    _rewrite(saved, edit)
    with pytest.raises(DeployError, match=match):
        load(saved)


def test_huge_integer_literal_is_refused(saved):
    path = saved / "manifest.json"
    path.write_text(path.read_text().replace('"patch": 256', '"patch": ' + "9" * 5000))
    with pytest.raises(DeployError, match="out of range"):
        load(saved)


def test_the_untouched_package_still_loads(saved, tiny_quant):
    assert load(saved).content_hash == tiny_quant[2].content_hash
