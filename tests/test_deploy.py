"""Deploy package: save/load round trip, content hash, tamper detection, strict validation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from pylic.deploy import FORMAT_VERSION, DeployError, DeployPackage, load, save
from pylic.deploy.example import tiny_quantized
from pylic.deploy.store import content_hash


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def pkg(tiny_quant) -> DeployPackage:
    return tiny_quant[2]


@pytest.fixture()
def saved(pkg, tmp_path):
    return save(pkg, tmp_path)


def _edit_manifest(folder, fn, rehash: bool = False):
    path = folder / "manifest.json"
    d = json.loads(path.read_text())
    fn(d)
    if rehash:
        with np.load(folder / "weights.npz", allow_pickle=False) as npz:
            d["content_hash"] = content_hash(d, {k: npz[k] for k in npz.files})
    path.write_text(json.dumps(d))


def test_round_trip_is_identical(pkg, saved):
    assert saved.name == pkg.short_hash and len(pkg.short_hash) == 16
    again = load(saved)
    assert again.content_hash == pkg.content_hash and again.model_hash == pkg.model_hash
    assert len(pkg.model_hash) == 16
    assert again.manifest == pkg.manifest
    assert set(again.arrays) == set(pkg.arrays)
    for k, a in pkg.arrays.items():
        assert again.arrays[k].dtype == a.dtype
        np.testing.assert_array_equal(again.arrays[k], a)
    assert save(again, saved.parent) == saved  # idempotent: same content, same folder
    assert not [p for p in saved.parent.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_manifest_declares_everything(pkg):
    m = pkg.manifest
    assert m.format_version == FORMAT_VERSION and m.patch == 256 and m.precision == "mixed"
    kinds = {t: [op.op for op in ops] for t, ops in m.transforms.items()}
    assert kinds["g_a"] == ["conv", "gdn"] * 3 + ["conv"]
    assert kinds["h_a"] == ["abs", "conv", "relu", "conv", "relu", "conv"]
    assert kinds["h_s"] == ["deconv", "relu", "deconv", "relu", "conv", "relu"]
    assert kinds["g_s"] == ["deconv", "igdn"] * 3 + ["deconv"]
    conv = m.transforms["g_s"][0]
    assert (conv.kernel, conv.stride, conv.padding, conv.output_padding) == (5, 2, 2, 1)
    assert conv.shift_cut == conv.weight + conv.input - conv.output
    assert pkg.arrays["g_a.0.weight"].dtype == np.int8 and pkg.arrays["g_a.1.gamma"].dtype == np.int32
    assert pkg.arrays["eb.medians"].dtype == np.int32 and pkg.arrays["gc.cdf"].shape[0] == 64


def test_arrays_are_read_only():
    pkg = tiny_quantized(seed=0)[2]  # its own copy: were writes let through, the shared package stays intact
    with pytest.raises(ValueError):
        pkg.arrays["g_a.0.weight"][0, 0, 0, 0] = 1
    with pytest.raises(TypeError):
        pkg.arrays["x"] = np.zeros(1)  # type: ignore[index]


def test_one_flipped_byte_in_weights_is_refused(saved):
    path = saved / "weights.npz"
    data = bytearray(path.read_bytes())
    pos = data.find(b"g_a.0.weight.npy")  # inside the zip: flip a byte of the first array's payload
    data[pos + 200] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DeployError):
        load(saved)


def test_edited_weight_value_is_refused(pkg, saved):
    arrays = {k: np.array(v) for k, v in pkg.arrays.items()}
    arrays["g_s.0.weight"].flat[3] ^= 1
    np.savez(saved / "weights.npz", **arrays)
    with pytest.raises(DeployError, match="hash mismatch"):
        load(saved)


def test_edited_manifest_field_is_refused(saved):
    _edit_manifest(saved, lambda d: d["transforms"]["g_a"][0].__setitem__("output", 5))
    with pytest.raises(DeployError, match="hash mismatch"):
        load(saved)


def test_consistent_hash_does_not_excuse_an_inconsistent_package(saved):
    """Someone edits a field *and* recomputes the hash: structural validation still refuses."""
    _edit_manifest(saved, lambda d: d["config"].__setitem__("M", 17), rehash=True)
    with pytest.raises(DeployError, match="widths|channels"):
        load(saved)


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.__setitem__("format_version", FORMAT_VERSION + 1), "version"),
    (lambda d: d.__setitem__("format", "other"), "not a pylic deploy package"),
    (lambda d: d.__setitem__("extra", 1), "unknown keys"),
    (lambda d: d["transforms"]["h_s"][0].__setitem__("shift_cut", 99), "shift"),
    (lambda d: d["transforms"]["g_a"][1].__setitem__("op", "softmax"), "unknown op"),
    (lambda d: d["entropy"].__setitem__("sigma_position", 30), "threshold|sigma"),
    (lambda d: d["transforms"]["g_a"][0].__setitem__("kernel", "5"), "kernel"),
    (lambda d: d["transforms"]["g_s"][6].__setitem__("output", 6), "output_position"),
])
def test_bad_manifests_are_refused(saved, edit, match):
    _edit_manifest(saved, edit, rehash=True)
    with pytest.raises(DeployError, match=match):
        load(saved)


def test_nan_in_manifest_is_refused(saved):
    _edit_manifest(saved, lambda d: d["entropy"].__setitem__("scale_bound", float("nan")))
    with pytest.raises(DeployError, match="JSON"):
        load(saved)


def test_extra_or_missing_arrays_and_pickles_are_refused(pkg, saved):
    arrays = {k: np.array(v) for k, v in pkg.arrays.items()}
    np.savez(saved / "weights.npz", **arrays, extra=np.zeros(3, np.int8))
    with pytest.raises(DeployError):
        load(saved)
    np.savez(saved / "weights.npz", **{**arrays, "g_a.0.bias": np.array([object()], dtype=object)})
    with pytest.raises(DeployError):
        load(saved)
    (saved / "weights.npz").unlink()
    with pytest.raises(DeployError, match="not a deploy package"):
        load(saved)


def test_bad_gdn_tables_are_refused(pkg, saved):
    """A gamma that could overflow the golden kernel's accumulator is refused even with a valid hash."""
    arrays = {k: np.array(v) for k, v in pkg.arrays.items()}
    arrays["g_a.1.gamma"][:] = np.iinfo(np.int32).max
    np.savez(saved / "weights.npz", **arrays)
    _edit_manifest(saved, lambda d: None, rehash=True)
    with pytest.raises(DeployError, match="gamma|accumulator"):
        load(saved)


def test_save_refuses_a_foreign_folder_with_the_same_name(pkg, tmp_path):
    (tmp_path / pkg.short_hash).mkdir()
    with pytest.raises(DeployError):
        save(pkg, tmp_path)


@pytest.mark.slow  # a fresh interpreter importing torch takes ~10-20 s on a shared 2-core machine
def test_loading_needs_no_training_graph(saved):
    """Load + emulator construction import neither the training code nor the model class's module graph."""
    code = ("import sys; from pylic.deploy import load; from pylic.runtime.emulator import EmulatorBackend; "
            f"EmulatorBackend(load({str(saved)!r})); "
            "bad = [m for m in ('pylic.train', 'pylic.train.rd', 'pylic.quant.fakequant', 'pylic.quant.qat') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_copy_of_a_package_under_another_name_still_loads(saved, tmp_path):
    other = tmp_path / "student-v1"
    shutil.copytree(saved, other)
    assert load(other).content_hash == load(saved).content_hash
