"""EmulatorBackend: a deploy package run with the golden integer ops, behind the same Backend interface as the
float model, producing the very bytes the board would.

- conv/deconv: exact int8 x int8 accumulation, bias alignment and DPU requantization (`intconv`, exactness
  argument there), ReLU fused;
- GDN/iGDN: `pylic.fixed.gdn_golden.GdnKernel`, the golden model the HLS kernels are proven against in its fast
  exact form (bit-identical to `gdn_fixed`; channels last, run in chunks of pixels across threads for speed;
  chunking cannot change a per-pixel result);
- abs (PS): |q| saturated to 127; pixel in/out conversions as declared in the package (`PixelSpec`);
- prior: h_s's int8 output -> scale index by integer comparison (`pylic.deploy.entropy`), so the Gaussian
  indexes, hence the bitstream, are identical on every platform.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from pylic.deploy import entropy, gdn_io
from pylic.deploy.manifest import OpSpec
from pylic.deploy.store import DeployPackage, load
from pylic.fixed.gdn_golden import GdnKernel
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.quant.rounding import quantize_param
from pylic.runtime.intconv import compile_conv, exact_kernels, self_test

Step = Callable[[torch.Tensor], torch.Tensor]
GDN_CHUNK = 2048  # pixels per kernel call: keeps the float64 temporaries in cache (measured best with 2 threads)


class GdnStep:
    """Golden GDN/iGDN on float32 NCHW tensors holding int8 values."""

    def __init__(self, params: GdnLayerParams, pool: ThreadPoolExecutor | None):
        self.params = params
        self.pool = pool
        self.kernel = GdnKernel(params)  # tables built once per layer

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        flat = x.to(torch.int8).permute(0, 2, 3, 1).contiguous().view(-1, c).numpy()
        out = np.empty_like(flat)

        def run(i: int) -> None:
            out[i:i + GDN_CHUNK] = self.kernel(flat[i:i + GDN_CHUNK])

        starts = range(0, flat.shape[0], GDN_CHUNK)
        if self.pool is None:
            for i in starts:
                run(i)
        else:
            list(self.pool.map(run, starts))
        return torch.from_numpy(out).view(n, h, w, c).permute(0, 3, 1, 2).to(torch.float32).contiguous()


def _abs(x: torch.Tensor) -> torch.Tensor:
    return x.abs().clamp_(max=127)  # |-128| does not fit int8: saturate, as the PS writes int8


def _compile(ops: tuple[OpSpec, ...], arrays, pool, check: bool) -> list[Step]:
    steps: list[Step] = []
    skip = False
    for i, op in enumerate(ops):
        if skip:
            skip = False
            continue
        if op.op in ("conv", "deconv"):
            relu = i + 1 < len(ops) and ops[i + 1].op == "relu"
            conv = compile_conv(op.name, op.op, np.asarray(arrays[f"{op.name}.weight"]),
                                np.asarray(arrays[f"{op.name}.bias"]), op.stride, op.padding, op.output_padding,
                                op.shift_cut, op.shift_bias, relu)
            if check:
                self_test(conv)
            steps.append(conv)
            skip = relu
        elif op.op in ("gdn", "igdn"):
            tables = {k: np.asarray(arrays[f"{op.name}.{k}"]) for k in gdn_io.ARRAYS}
            params = gdn_io.from_package(op.name, op.op == "igdn", op.in_channels, op.input, op.output, op.gdn,
                                         tables)
            steps.append(GdnStep(params, pool))
        elif op.op == "abs":
            steps.append(_abs)
        else:  # a ReLU that follows no conv cannot occur in a validated package
            steps.append(lambda x: x.clamp(min=0))
    return steps


def _to_int8_float(a: np.ndarray) -> torch.Tensor:
    """Decoded latents (integers from the entropy decoder) as the int8 the DPU reads; a crafted stream may hold
    values beyond int8, which saturate exactly as the board's PS conversion does."""
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    return torch.nan_to_num(torch.round(t), nan=0.0).clamp_(-128, 127)


class EmulatorBackend:
    """Backend over a DeployPackage (or a package folder)."""

    def __init__(self, package: DeployPackage | str | Path, name: str | None = None, threads: int | None = None,
                 self_check: bool = True):
        pkg = package if isinstance(package, DeployPackage) else load(package)
        self.package = pkg
        m, arrays = pkg.manifest, pkg.arrays
        self.name = name if name is not None else f"emu-{pkg.short_hash}"
        self.model_hash = pkg.model_hash
        self.entropy_bottleneck, self.gaussian_conditional = entropy.build_modules(m.entropy, dict(arrays))
        workers = threads if threads is not None else torch.get_num_threads()
        self._pool = ThreadPoolExecutor(workers) if workers > 1 else None
        self.programs = {t: _compile(ops, arrays, self._pool, self_check) for t, ops in m.transforms.items()}
        self._index_lut = torch.from_numpy(entropy.index_lut(np.asarray(arrays["gc.thresholds"])))
        p = m.pixels
        levels = np.arange(256, dtype=np.float64) / p.input_scale
        self._input_lut = torch.from_numpy(quantize_param(levels, p.input_position).astype(np.float32))
        self._out_pos = p.output_position

    def _run(self, t: str, x: torch.Tensor) -> torch.Tensor:
        with exact_kernels(), torch.no_grad():
            for step in self.programs[t]:
                x = step(x)
        return x

    def analysis(self, patches: np.ndarray) -> np.ndarray:
        x = self._input_lut[torch.from_numpy(np.ascontiguousarray(patches)).long()]
        return self._run("g_a", x).numpy()

    def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
        return self._run("h_a", _to_int8_float(y)).numpy()

    def prior_indexes(self, z_hat: np.ndarray) -> np.ndarray:
        q = self._run("h_s", _to_int8_float(z_hat)).long()
        return self._index_lut[q + 128].numpy()

    def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
        q = self._run("g_s", _to_int8_float(y_hat)).long()
        f = self._out_pos
        v = (q * 255 + (1 << (f - 1))) >> f if f > 0 else (q * 255) << -f
        return v.clamp_(0, 255).to(torch.uint8).numpy()

    def op_steps(self, transform: str, ops: tuple[str, ...]) -> list[Step]:
        """The compiled steps of a run of `transform`'s ops (a DPU segment or one GDN op): the board's host mode
        stands them in for one xmodel or one HLS kernel."""
        spec = tuple(o for o in self.package.manifest.transforms[transform] if o.name in ops)
        return _compile(spec, self.package.arrays, self._pool, False)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
