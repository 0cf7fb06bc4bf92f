"""Perceptual loss of the distillation (paper eq. 2): feature distances of a frozen ResNet-50.

Layer mapping. The paper uses "layers 3, 4 and 5" of ResNet-50, from edges/textures to object structure.
In the ResNet paper's naming the network is conv1, conv2_x, conv3_x, conv4_x, conv5_x; layers 3, 4, 5 are
conv3_x, conv4_x, conv5_x, which torchvision calls `layer2` (512 ch, stride 8), `layer3` (1024 ch, stride
16) and `layer4` (2048 ch, stride 32). We take the output of each of those stages.

Distance. Per layer the mean of squared differences (the squared L2 norm divided by the element count, so
the three layers and any crop size weigh alike), summed over the three layers. Inputs in [0, 1] are
ImageNet-normalised first; BatchNorm stays in eval mode and the network never trains.

Weights. Where a network exists, torchvision downloads `ResNet50_Weights.IMAGENET1K_V2` (and caches it
under ~/.cache/torch/hub, which then also works offline). Offline there are three explicit choices: a
state dict file (`perceptual_weights=PATH`), `"random"` (a fixed-seed randomly initialised ResNet-50: a
weaker stand-in whose features are random projections, not ImageNet semantics; without trained
BatchNorm statistics its raw feature energy grows about 100x from layer2 to layer4, so each of its stages
is rescaled to unit mean square on a fixed photograph, `skimage.data.astronaut()`), or `"none"` (no
perceptual term, β = 0). Without one of them, a missing download is a `ModelError` naming all three.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
from torchvision.models import ResNet50_Weights, resnet50

from pylic.errors import ModelError
from pylic.models.registry import load_checkpoint_state

SOURCES = ("imagenet", "random", "none")
LAYERS = ("layer2", "layer3", "layer4")  # the paper's layers 3, 4, 5 (conv3_x, conv4_x, conv5_x)
RANDOM_SEED = 20250306
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

OFFLINE_HELP = (
    "cannot get the ImageNet ResNet-50 weights for the perceptual loss ({why}). Choose one: "
    "(1) run once where a network exists (torchvision caches resnet50-11ad3fa6.pth under ~/.cache/torch/hub), "
    "(2) pass --perceptual-weights PATH to a torchvision resnet50 state dict, or "
    "(3) pass --perceptual random (fixed-seed random ResNet-50, a weaker stand-in) or --perceptual none "
    "(no perceptual term)"
)


class ResNetFeatures(nn.Module):
    """conv1 … layer4 of a ResNet-50, frozen; returns the outputs of layer2, layer3 and layer4."""

    def __init__(self, net: nn.Module, scales: tuple[float, float, float] = (1.0, 1.0, 1.0)):
        super().__init__()
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1)
        self.layer2, self.layer3, self.layer4 = net.layer2, net.layer3, net.layer4
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.register_buffer("scales", torch.tensor(scales))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "ResNetFeatures":
        return super().train(False)  # BatchNorm statistics are part of the fixed feature extractor

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = self.stem((x - self.mean) / self.std)
        f2 = self.layer2(h)
        f3 = self.layer3(f2)
        f4 = self.layer4(f3)
        return [f * s for f, s in zip((f2, f3, f4), self.scales)]


def perceptual_distance(features: ResNetFeatures, x_t: torch.Tensor, x_s: torch.Tensor) -> torch.Tensor:
    """Σ over layers of mean((φ(x_t) − φ(x_s))²); the teacher side carries no gradient."""
    with torch.no_grad():
        ft = features(x_t)
    fs = features(x_s)
    return sum(torch.mean((a - b) ** 2) for a, b in zip(ft, fs))  # type: ignore[return-value]


def _imagenet_state() -> dict:
    try:
        return ResNet50_Weights.IMAGENET1K_V2.get_state_dict(progress=True)
    except Exception as exc:  # URLError, HTTPError, hash mismatch, …: all mean "not available here"
        raise ModelError(OFFLINE_HELP.format(why=f"{exc.__class__.__name__}: {exc}")) from None


@torch.no_grad()
def _unit_energy(features: ResNetFeatures) -> ResNetFeatures:
    """Rescale each stage to unit mean square on a fixed 128x128 photograph (random networks only)."""
    from skimage import data

    img = torch.from_numpy(data.astronaut()[::4, ::4].copy()).permute(2, 0, 1)[None].float() / 255.0
    energy = [float(f.pow(2).mean()) for f in features(img)]
    features.scales.copy_(torch.tensor([e ** -0.5 for e in energy]))
    return features


def build_perceptual(source: str = "imagenet", weights: str | Path | None = None) -> ResNetFeatures | None:
    """The feature extractor for `source` ("imagenet", "random", "none" → None); a weights file wins."""
    if source not in SOURCES:
        raise ModelError(f"perceptual must be one of {', '.join(SOURCES)}, not {source!r}")
    if source == "none" and weights is None:
        return None
    if source == "random" and weights is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_SEED)
            return _unit_energy(ResNetFeatures(resnet50(weights=None)))
    net = resnet50(weights=None)
    state = load_checkpoint_state(weights, "perceptual weights") if weights is not None else _imagenet_state()
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"perceptual weights are not a torchvision resnet50 state dict: {exc}") from None
    return ResNetFeatures(net)
