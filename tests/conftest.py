"""Shared fixtures: tiny deterministic models (fast on 2 cores) and real photographs."""

from __future__ import annotations


import numpy as np
import pytest
import torch
from PIL import Image


from pylic.models import HyperpriorConfig, ScaleHyperprior  # noqa: E402
from pylic.runtime import TorchBackend  # noqa: E402


def make_tiny_model(seed: int = 0, N: int = 8, M: int = 16, activation: str = "gdn") -> ScaleHyperprior:
    torch.manual_seed(seed)
    model = ScaleHyperprior(HyperpriorConfig.uniform(N, M, activation))  # type: ignore[arg-type]
    model.eval()
    model.update(force=True)
    return model


@pytest.fixture(scope="session")
def tiny_model() -> ScaleHyperprior:
    return make_tiny_model()


@pytest.fixture(scope="session")
def tiny_backend(tiny_model) -> TorchBackend:
    return TorchBackend(tiny_model, "tiny")


@pytest.fixture(scope="session")
def tiny_ckpt(tmp_path_factory, tiny_model) -> str:
    """`tiny_model`'s float checkpoint, written once (read-only for the tests: they pass it as `--checkpoint`)."""
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    torch.save(tiny_model.state_dict(), path)
    return str(path)


@pytest.fixture(scope="session")
def tiny_quant():
    """`tiny_quantized(seed=0)`: (float model, QuantPlan, DeployPackage), built once. Shared: a test that would
    change the model or plan must build its own (the package is immutable: frozen manifest, read-only arrays)."""
    from pylic.deploy.example import tiny_quantized

    return tiny_quantized(seed=0)


@pytest.fixture(scope="session")
def tiny_package_dir(tmp_path_factory, tiny_quant):
    """`tiny_quant`'s package saved once; only for tests that read the folder (tamper tests save their own)."""
    from pylic.deploy import save

    return save(tiny_quant[2], tmp_path_factory.mktemp("tiny_pkgs"))


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def write_crops(folder, photo: np.ndarray, size: tuple[int, int], step: tuple[int, int], count: int = 3):
    """`count` overlapping size[0] x size[1] crops of the photo, `step` apart, as PNG files in `folder`."""
    for i in range(count):
        y, x = i * step[0], i * step[1]
        Image.fromarray(photo[y: y + size[0], x: x + size[1]]).save(folder / f"{i}.png")
    return folder


@pytest.fixture(scope="session")
def folder(tmp_path_factory, photo):
    """Three overlapping crops of the photo as PNG files: a tiny training set."""
    return write_crops(tmp_path_factory.mktemp("imgs"), photo, (200, 260), (100, 80))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: one torch thread avoids spin-waiting when the machine is shared (2 cores)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
