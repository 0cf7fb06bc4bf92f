"""Per-patch z and y substreams with CompressAI's rANS coder and the model's CDF tables.

z goes through the EntropyBottleneck (it codes round(z - median) per channel); y through the
zero-mean GaussianConditional with scale-table indexes that the backend derives from z_hat.
"""

from __future__ import annotations

import numpy as np
import torch
from compressai.entropy_models import EntropyBottleneck, GaussianConditional

_WORD = 4


def _padded(strings: list[bytes], symbols: int) -> list[bytes]:
    """CompressAI's rANS decoder reads its input without bounds checks. A well-formed stream never
    reads past its end; zero padding sized to the worst case of a crafted stream (every bypass
    chunk and one renormalisation word per symbol) keeps a malicious one inside the buffer."""
    return [s + bytes(16 * len(s) + _WORD * (symbols + 16)) for s in strings]


class LatentCoder:
    """Encodes/decodes batches of patch latents; one byte string per patch for z and for y."""

    def __init__(self, entropy_bottleneck: EntropyBottleneck, gaussian_conditional: GaussianConditional):
        self.eb = entropy_bottleneck
        self.gc = gaussian_conditional

    def encode_z(self, z: np.ndarray) -> tuple[list[bytes], np.ndarray]:
        """Returns the strings and z_hat as the decoder will see it (decoded, so exactly equal)."""
        zt = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32))
        strings = self.eb.compress(zt)
        return strings, self.decode_z(strings, z.shape[-2:])

    def decode_z(self, strings: list[bytes], size: tuple[int, int]) -> np.ndarray:
        symbols = self.eb.quantized_cdf.shape[0] * size[0] * size[1]
        return self.eb.decompress(_padded(strings, symbols), tuple(size)).numpy()

    def encode_y(self, y: np.ndarray, indexes: np.ndarray) -> list[bytes]:
        yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
        return self.gc.compress(yt, torch.from_numpy(indexes.astype(np.int32)))

    def decode_y(self, strings: list[bytes], indexes: np.ndarray) -> np.ndarray:
        idx = torch.from_numpy(indexes.astype(np.int32))
        out = self.gc.decompress(_padded(strings, int(np.prod(indexes.shape[1:]))), idx, dtype=torch.float32)
        return out.numpy()
