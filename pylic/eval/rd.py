"""RD evaluation of pylic codecs: per-image bpp/PSNR/time, whole-image vs tiled, BD metrics."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from pylic.codec import Codec
from pylic.eval.metrics import bpp, ms_ssim, psnr
from pylic.models.hyperprior import ScaleHyperprior
from pylic.runtime.float_backend import to_uint8


@dataclass
class ImageResult:
    name: str
    height: int
    width: int
    bytes: int
    bpp: float
    psnr: float
    encode_s: float
    decode_s: float
    deterministic: bool = True
    ms_ssim: float = float("nan")

    def as_dict(self) -> dict:
        return asdict(self)


def timed_round_trip(codec: Codec, image: np.ndarray) -> tuple[bytes, np.ndarray, float, float]:
    """(bitstream, decoded image, encode seconds, decode seconds)."""
    t0 = time.perf_counter()
    data = codec.encode(image)
    t1 = time.perf_counter()
    out = codec.decode(data)
    return data, out, t1 - t0, time.perf_counter() - t1


def evaluate_codec(codec: Codec, images: dict[str, np.ndarray], check_determinism: bool = False,
                   progress: bool = True) -> list[ImageResult]:
    """Encode, decode and measure every image; optionally encode twice and compare the bytes."""
    results = []
    for name, img in tqdm(images.items(), desc="evaluate", disable=not progress):
        data, out, enc_s, dec_s = timed_round_trip(codec, img)
        same = codec.encode(img) == data if check_determinism else True
        if out.shape != img.shape:
            raise AssertionError(f"{name}: decoded shape {out.shape} != input {img.shape}")
        results.append(ImageResult(name, img.shape[0], img.shape[1], len(data), bpp(len(data), img),
                                   psnr(img, out), enc_s, dec_s, same, ms_ssim(img, out)))
    return results


@torch.no_grad()
def whole_image(model: ScaleHyperprior, image: np.ndarray) -> tuple[float, float]:
    """(bpp, PSNR) coding the image in one piece (zero-padded to a multiple of 64, as CompressAI's
    eval does): the reference for the cost of tiling."""
    x = torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 255.0
    h, w = image.shape[:2]
    ph, pw = -(-h // 64) * 64, -(-w // 64) * 64
    xp = F.pad(x, (0, pw - w, 0, ph - h))
    out = model.compress(xp)
    rec = model.decompress(out["strings"], out["shape"])["x_hat"][..., :h, :w]
    nbytes = sum(len(s) for strings in out["strings"] for s in strings)
    return bpp(nbytes, image), psnr(image, to_uint8(rec[0]).transpose(1, 2, 0))


def summary(results: list[ImageResult]) -> dict[str, float]:
    return {
        "images": len(results),
        "bpp": float(np.mean([r.bpp for r in results])),
        "psnr": float(np.mean([r.psnr for r in results])),
        "ms_ssim": float(np.mean([r.ms_ssim for r in results])),
        "encode_s": float(np.mean([r.encode_s for r in results])),
        "decode_s": float(np.mean([r.decode_s for r in results])),
    }


def bd_metrics(anchor: list[tuple[float, float]], test: list[tuple[float, float]]) -> dict[str, float]:
    """Bjontegaard deltas of `test` vs `anchor` (points are (bpp, PSNR)), via the bjontegaard package
    (piecewise cubic interpolation over the overlapping PSNR/rate range)."""
    import bjontegaard as bd

    ra, da = zip(*sorted(anchor))
    rt, dt = zip(*sorted(test))
    for label, d in (("anchor", da), ("test", dt)):
        if any(b <= a for a, b in zip(d, d[1:])):  # interpolation needs PSNR rising with the rate
            return {"bd_rate_percent": float("nan"), "bd_psnr_db": float("nan"),
                    "note": f"{label} points are not one RD curve (PSNR does not rise with rate)"}
    kw = {"method": "pchip", "require_matching_points": False, "min_overlap": 0}
    return {"bd_rate_percent": float(bd.bd_rate(ra, da, rt, dt, **kw)),
            "bd_psnr_db": float(bd.bd_psnr(ra, da, rt, dt, **kw))}


def restrict(points: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    """Keep the anchor points in [lo, hi] bpp plus one neighbour on each side (for interpolation)."""
    pts = sorted(points)
    idx = [i for i, (r, _) in enumerate(pts) if lo <= r <= hi]
    if not idx:
        return pts
    return pts[max(0, idx[0] - 1): min(len(pts), idx[-1] + 2)]
