"""HLS kernels of a deploy package (`invoke gen-hls|csim --package`): the package's own GDN parameters, the
int8 vectors its emulator really feeds each layer on real photos, and csim bit for bit on them."""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from pylic.deploy import gdn_io
from pylic.errors import PylicError, ToolError
from pylic.eval import photos
from pylic.fixed import gdn_fixed
from pylic.hls import csim
from pylic.hls.from_package import generate_for_package
from pylic.hls.gdn_codegen import kernel_name
from pylic.hls.kernel_info import KernelInfo
from pylic.hls.project import build_root, generate_for

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TOPS = ["gdn_ga1", "gdn_ga3", "gdn_ga5", "igdn_gs1", "igdn_gs3", "igdn_gs5", "patch_buffer"]


@pytest.fixture(scope="module")
def package(tiny_quant, tiny_package_dir):
    """(package, its folder): the shared seed-0 package, only read here (builds go to their own folders)."""
    return tiny_quant[2], tiny_package_dir


@pytest.fixture(scope="module")
def build(package, tmp_path_factory) -> Path:
    """The package's kernels, generated once from its folder (csim below compiles them once)."""
    _, folder = package
    return generate_for_package(folder, tmp_path_factory.mktemp("hls"))


def gdn_ops(pkg):
    return [op for t in ("g_a", "g_s") for op in pkg.manifest.transforms[t] if op.op in ("gdn", "igdn")]


def package_params(pkg, op):
    """The layer's golden parameters rebuilt straight from the package (independently of the emulator)."""
    tables = {k: np.asarray(pkg.arrays[f"{op.name}.{k}"]) for k in gdn_io.ARRAYS}
    return gdn_io.from_package(op.name, op.op == "igdn", op.in_channels, op.input, op.output, op.gdn, tables)


def constants(cpp: str, name: str) -> np.ndarray:
    """The integers of `static const ... NAME[..] = { ... };` in a generated source."""
    m = re.search(rf"\b{name}(\[\d+\])+ = \{{(.*?)\}};", cpp, re.DOTALL)
    assert m, f"{name} not found"
    return np.array([int(v) for v in re.findall(r"-?\d+", m.group(2))], dtype=np.int64)


def vectors(folder: Path, channels: int, which: str = "input", photos_only: bool = True) -> np.ndarray:
    """The kernel's int8 vectors [n, pixels, C]: the 3 photo patches (the directed vectors follow them)."""
    info = KernelInfo.load(folder)
    v = np.fromfile(folder / "tb_data" / f"{which}.bin", np.int8).reshape(info.n_vectors, -1, channels)
    return v[:info.details["photo_vectors"]] if photos_only else v


def test_build_is_named_by_and_records_the_package(package, build):
    pkg, folder = package
    assert build.name == f"pkg-{pkg.short_hash}" and build_root(build.parent, None, None, folder) == build
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["package"] == pkg.content_hash and manifest["model"] == build.name
    assert manifest["precision"] == pkg.manifest.precision and manifest["par"] == 1
    assert manifest["format"] == package_params(pkg, gdn_ops(pkg)[0]).fmt.to_dict()
    assert [k["top"] for k in manifest["kernels"]] == TOPS
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((build / rel).read_bytes()).hexdigest() == digest, rel


def test_kernels_hold_the_package_parameters(package, build):
    pkg, _ = package
    for op in gdn_ops(pkg):
        p = package_params(pkg, op)
        folder = build / kernel_name(op.name, p.inverse)
        top = folder.name
        info = KernelInfo.load(folder)
        assert (info.layer, info.kind, info.details["in_frac"], info.details["out_frac"]) == \
               (op.name, op.op, op.input, op.output)
        assert info.details["format"] == p.fmt.to_dict()
        cpp = (folder / "src" / f"{top}.cpp").read_text()
        np.testing.assert_array_equal(constants(cpp, "GAMMA"), p.gamma_q.ravel())
        np.testing.assert_array_equal(constants(cpp, "BETA"), p.beta_q)
        np.testing.assert_array_equal(constants(cpp, "LUT_A"), p.lut.a)
        np.testing.assert_array_equal(constants(cpp, "LUT_B"), p.lut.b)
        header = (folder / "src" / f"{top}.h").read_text()
        for key, value in (("OUT_SHIFT", p.out_shift), ("ACC_FRAC", p.acc_frac), ("BETA_SHIFT", p.beta_shift),
                           ("SLOPE_SHIFT", p.lut.slope_shift)):
            assert f"static const int {key} = {value};" in header
        x = vectors(folder, p.channels, photos_only=False)
        np.testing.assert_array_equal(vectors(folder, p.channels, "expected", False), gdn_fixed(x, p))
        assert info.details["photo_vectors"] == 3 and info.details["directed_pixels"] > p.channels


def _nchw(v: np.ndarray) -> torch.Tensor:
    n, pixels, c = v.shape
    side = math.isqrt(pixels)
    return torch.from_numpy(v.reshape(n, side, side, c).transpose(0, 3, 1, 2).astype(np.float32))


def test_vectors_are_what_the_emulator_feeds_each_layer(package, build):
    """Rebuild the chain with the emulator's convs only: the photos' 3 centre patches in, each GDN's golden
    output (expected.bin) standing in for the GDN. Every layer's input.bin is the tensor arriving there, and
    the chain ends on the emulator's own analysis and synthesis of those patches."""
    from pylic.quant.rounding import quantize_param
    from pylic.runtime.emulator import EmulatorBackend, GdnStep
    from pylic.runtime.intconv import exact_kernels

    pkg, _ = package
    patches = np.stack([p.transpose(2, 0, 1) for p in photos.vector_patches()])
    emu = EmulatorBackend(pkg, threads=1)
    try:
        levels = patches.astype(np.float64) / pkg.manifest.pixels.input_scale
        x = torch.from_numpy(quantize_param(levels, pkg.manifest.pixels.input_position).astype(np.float32))
        seen = []
        with exact_kernels(), torch.no_grad():
            for t in ("g_a", "g_s"):
                if t == "g_s":
                    y = emu.analysis(patches)
                    np.testing.assert_array_equal(x.numpy(), y)
                for step in emu.programs[t]:
                    if isinstance(step, GdnStep):
                        folder = build / kernel_name(step.params.name, step.params.inverse)
                        v = vectors(folder, step.params.channels)
                        np.testing.assert_array_equal(v, x.to(torch.int8).permute(0, 2, 3, 1).reshape(v.shape))
                        x = _nchw(vectors(folder, step.params.channels, "expected"))
                        seen.append(folder.name)
                    else:
                        x = step(x)
        assert seen == TOPS[:-1]
        assert KernelInfo.load(build / "gdn_ga1").details["pixels_per_vector"] == 128 * 128
        out = emu.synthesis(y)
    finally:
        emu.close()
    f = pkg.manifest.pixels.output_position
    q = x.long()
    np.testing.assert_array_equal(((q * 255 + (1 << (f - 1))) >> f).clamp(0, 255).numpy(), out)


def test_same_package_same_bytes(package, build, tmp_path):
    pkg, _ = package
    again = generate_for_package(pkg, tmp_path)  # the in-memory package, not its folder
    assert again.name == build.name
    assert (again / "manifest.json").read_bytes() == (build / "manifest.json").read_bytes()
    assert generate_for_package(pkg, tmp_path, label="tiny").name == "tiny"


def test_package_excludes_model_and_checkpoint(package, tmp_path):
    _, folder = package
    for name, checkpoint in (("synthetic", None), (None, "weights.pt")):
        with pytest.raises(PylicError, match="--package"):
            generate_for(name, checkpoint, tmp_path, package=folder)
        with pytest.raises(PylicError, match="--package"):
            build_root(tmp_path, name, checkpoint, package=folder)
    assert not any(tmp_path.iterdir())


@pytest.mark.csim
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_package_kernels_csim_bit_exact(build):
    from pylic.hls.project import csim as run_csim

    try:
        csim.ap_types_dir()
    except ToolError as exc:  # hls4ml missing
        pytest.skip(str(exc))
    results = {r.top: r for r in run_csim(build)}
    print("\n" + csim.format_table(list(results.values())))
    assert sorted(results) == TOPS
    for top, r in results.items():
        assert r.passed, f"{top}: {r.mismatches} mismatches of {r.values}; log {r.log}"
    for top, side in (("gdn_ga1", 128), ("igdn_gs1", 32)):
        info = KernelInfo.load(build / top)  # 3 photo patches, then the directed vectors of the same size
        assert info.n_vectors > 3 and results[top].values == info.n_vectors * side * side * info.details["channels"]


def test_vitis_dry_run_on_a_package_build(package, build):
    """`invoke synth --package P --dry-run`: the scripts of the package's own build, one command per kernel."""
    from pylic.hls.vitis import run_step_for

    results = run_step_for("synth", None, None, build.parent, dry_run=True, package=package[1])
    assert sorted(r.top for r in results) == TOPS
    assert all(Path(r.run.cwd).parent == build and "vitis_hls" in r.run.command for r in results)
