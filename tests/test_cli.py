import subprocess
import sys

import numpy as np
from PIL import Image

from pylic.cli import main


def test_encode_info_decode(tmp_path, tiny_ckpt, photo, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(photo[:200, :300]).save(src)
    plic, png = tmp_path / "a.plic", tmp_path / "a.png"
    assert main(["encode", str(src), "-o", str(plic), "--checkpoint", tiny_ckpt]) == 0
    assert main(["info", str(plic)]) == 0
    assert "300x200" in capsys.readouterr().out
    assert main(["decode", str(plic), "-o", str(png), "--checkpoint", tiny_ckpt]) == 0
    assert np.asarray(Image.open(png)).shape == (200, 300, 3)


def test_encode_with_context_tiling(tmp_path, tiny_ckpt, photo, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(photo[:300, :451]).save(src)
    plic, png = tmp_path / "c.plic", tmp_path / "c.png"
    assert main(["encode", str(src), "-o", str(plic), "--checkpoint", tiny_ckpt, "--context", "32"]) == 0
    assert main(["info", str(plic)]) == 0
    assert "2x2 = 4; context 32, 9 DPU windows" in capsys.readouterr().out
    assert main(["decode", str(plic), "-o", str(png), "--checkpoint", tiny_ckpt]) == 0
    assert np.asarray(Image.open(png)).shape == (300, 451, 3)
    assert main(["encode", str(src), "-o", str(plic), "--checkpoint", tiny_ckpt, "--context", "24"]) == 2


def test_gray_and_opaque_rgba_are_coded(tmp_path, tiny_ckpt, photo):
    gray, rgba = tmp_path / "g.png", tmp_path / "r.png"
    Image.fromarray(photo[:64, :64, 0]).save(gray)
    Image.fromarray(np.dstack([photo[:64, :64], np.full((64, 64), 255, np.uint8)])).save(rgba)
    for src in (gray, rgba):
        assert main(["encode", str(src), "-o", str(tmp_path / "x.plic"), "--checkpoint", tiny_ckpt]) == 0


def _bad_inputs(tmp_path, photo):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    alpha = tmp_path / "alpha.png"
    Image.fromarray(np.dstack([photo[:8, :8], np.zeros((8, 8), np.uint8)])).save(alpha)
    deep = tmp_path / "deep.png"
    Image.fromarray(np.full((8, 8), 4000, np.uint16)).save(deep)
    return {"missing": (["encode", str(tmp_path / "nope.png")], "no such file"),
            "text": (["encode", str(text)], "cannot read image"),
            "alpha": (["encode", str(alpha)], "transparency"),
            "16bit": (["encode", str(deep)], "16-bit"),
            "plic-garbage": (["decode", str(text)], ".plic header")}


def test_bad_inputs_exit_nonzero_with_one_line(tmp_path, tiny_ckpt, photo, capsys):
    for case, (argv, msg) in _bad_inputs(tmp_path, photo).items():
        out = tmp_path / f"{case}.out"
        assert main(argv + ["-o", str(out), "--checkpoint", tiny_ckpt]) == 2, case
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and msg in err, (case, err)
        assert not out.exists(), case  # nothing half-written


def test_process_exit_code_and_no_traceback(tmp_path):
    bad = tmp_path / "x.plic"
    bad.write_bytes(b"PLIC\x01" + bytes(40))
    proc = subprocess.run([sys.executable, "-m", "pylic", "info", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("pylic: error:")


def test_decode_without_model_needs_a_known_hash(tmp_path, tiny_ckpt, photo, capsys):
    src, plic = tmp_path / "in.png", tmp_path / "a.plic"
    Image.fromarray(photo[:64, :64]).save(src)
    assert main(["encode", str(src), "-o", str(plic), "--checkpoint", tiny_ckpt]) == 0
    assert main(["decode", str(plic), "-o", str(tmp_path / "o.png")]) == 2
    assert "no shipped model or package has hash" in capsys.readouterr().err


def test_package_encode_decode_matches_the_emulator(tmp_path, photo, tiny_ckpt, tiny_package_dir, capsys):
    """`--package FOLDER` codes through the bit-exact emulator: the file is byte-identical to the emulator's
    own encode, decodes to its decode, and a float-model bitstream is refused by the package."""
    from pylic.codec import Codec
    from pylic.runtime import EmulatorBackend

    folder = tiny_package_dir
    img = np.ascontiguousarray(photo[:200, :300])
    src, plic, png = tmp_path / "in.png", tmp_path / "a.plic", tmp_path / "a.png"
    Image.fromarray(img).save(src)
    assert main(["encode", str(src), "-o", str(plic), "--package", str(folder)]) == 0
    codec = Codec(EmulatorBackend(folder))
    assert plic.read_bytes() == codec.encode(img)
    assert main(["decode", str(plic), "-o", str(png), "--package", str(folder)]) == 0
    assert np.array_equal(np.asarray(Image.open(png)), codec.decode(plic.read_bytes()))
    capsys.readouterr()
    assert main(["decode", str(plic), "-o", str(png)]) == 2  # not a shipped package: needs --package
    assert "--package" in capsys.readouterr().err
    float_plic = tmp_path / "f.plic"
    assert main(["encode", str(src), "-o", str(float_plic), "--checkpoint", tiny_ckpt]) == 0
    assert main(["decode", str(float_plic), "-o", str(png), "--package", str(folder)]) == 2
    assert main(["encode", str(src), "-o", str(plic), "--package", str(folder), "--checkpoint", tiny_ckpt]) == 2
