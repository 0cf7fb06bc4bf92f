"""Where tiling's PSNR cost comes from, measured on the float model without entropy coding (y rounded, as the
decoder sees it), so that only the transforms' border effects differ:

- `per_patch`: the codec's tiling at overlap 0: each 256x256 patch analysed and synthesised on its own;
- `whole`: the frame in one piece (edge-replicated to a multiple of 64; conv zero padding at the frame border);
- `context_tiled`: the codec's latent-domain tiling with context (`pylic.ps.context_tiling`): 256x256 windows
  that each own their central pixels, one latent map, synthesis in windows again.

Entropy coding is left out, so the differences are the transforms' border effects alone (the coded cost is
`invoke tiling-cost`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from pylic.errors import PylicError
from pylic.imageio import write_file

PATCH = 256
LATENT_STRIDE = 16


def _to_x(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))[None]).float() / 255


def _to_img(x: torch.Tensor) -> np.ndarray:
    return (x[0].clamp(0, 1) * 255).round().byte().numpy().transpose(1, 2, 0)


@torch.no_grad()
def per_patch(model, image: np.ndarray) -> np.ndarray:
    from pylic.ps.tiling import TileGrid, extract, reassemble

    grid = TileGrid(image.shape[0], image.shape[1], PATCH, 0)
    x = torch.from_numpy(extract(image, grid)).float() / 255
    out = (model.g_s(torch.round(model.g_a(x))).clamp(0, 1) * 255).round().byte().numpy()
    return reassemble(out, grid)


@torch.no_grad()
def whole(model, image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    padded = np.pad(image, ((0, -h % 64), (0, -w % 64), (0, 0)), mode="edge")
    return _to_img(model.g_s(torch.round(model.g_a(_to_x(padded)))))[:h, :w]


@torch.no_grad()
def context_tiled(model, image: np.ndarray, context: int = 32) -> np.ndarray:
    """The codec's latent-domain tiling (`pylic.ps.context_tiling`, the one window geometry), without coding."""
    from pylic.ps.context_tiling import (ContextGrid, extract_windows, owned_latents, place_owned,
                                         synthesis_windows)

    if context % LATENT_STRIDE or not 0 <= context < PATCH // 2:
        raise PylicError(f"context must be a multiple of {LATENT_STRIDE} below {PATCH // 2}, not {context}")
    if context == 0:  # windows without context are the overlap-0 patches
        return per_patch(model, image)
    grid = ContextGrid(image.shape[0], image.shape[1], PATCH, context)
    x = torch.from_numpy(extract_windows(image, grid)).float() / 255
    y_map = owned_latents(torch.round(model.g_a(x)).numpy(), grid)
    x_hat = model.g_s(torch.from_numpy(synthesis_windows(y_map, grid)))
    return place_owned((x_hat.clamp(0, 1) * 255).round().byte().numpy(), grid)


def seam_study(models: tuple[str, ...], limit: int | None = 8, contexts: tuple[int, ...] = (16, 32),
               out: str | Path = "out/seams.json", size: str = "kodak") -> dict:
    """Mean PSNR of per-patch, context-tiled (per context) and whole-image reconstructions over Kodak
    (`size="720p"`: each image tiled to 1280x720 first), per model; JSON to `out`."""
    from pylic.eval.images import KODAK_DIR, load_folder
    from pylic.eval.metrics import psnr
    from pylic.models.registry import load_model
    from pylic.ps.tiling import tile_to_size

    images = load_folder(KODAK_DIR, limit)
    if size == "720p":
        images = {k: tile_to_size(v) for k, v in images.items()}
    report: dict = {"size": size, "images": len(images), "models": {}}
    for name in models:
        model = load_model(name).eval()
        rows = []
        for key, img in tqdm(images.items(), desc=name, unit="image"):
            row = {"image": key, "per_patch": psnr(img, per_patch(model, img)), "whole": psnr(img, whole(model, img))}
            row.update({f"context_{c}": psnr(img, context_tiled(model, img, c)) for c in contexts})
            rows.append(row)
        report["models"][name] = {"mean": {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "image"},
                                  "images": rows}
    write_file(out, json.dumps(report, indent=1))
    return report
