"""EmulatorBackend: a deploy package run with the golden integer ops, behind the same Backend interface as the
float model. Its outputs equal the integer definitions bit for bit; that they equal the board's rests on the
DPU details `pylic.quant.requant` marks unconfirmed.

- conv/deconv: exact int8 x int8 accumulation, bias alignment and DPU requantization (`intconv`, exactness
  argument there), ReLU fused;
- GDN/iGDN: `pylic.fixed.gdn_golden.GdnKernel`, the golden model the HLS kernels are proven against in its fast
  exact form (bit-identical to `gdn_fixed`; channels last, run in chunks of pixels across threads for speed;
  chunking cannot change a per-pixel result);
- the PS steps come from `pylic.ps`, the code the board runs: abs saturated to 127 and h_s's int8 output ->
  scale index by integer comparison (`pylic.ps.prior`), pixel in/out LUTs (`pylic.ps.pixels`), so the Gaussian
  indexes, hence the bitstream, are identical on every platform.

Every conv layer is checked for exactness at every input shape it runs (`intconv.verify`, once per process),
so the production shapes (batch 8 x C x 256²) are proven on this machine before their output is used.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from pylic.deploy import gdn_io
from pylic.deploy.manifest import OpSpec
from pylic.fixed.gdn_golden import GdnKernel
from pylic.fixed.gdn_params import GdnLayerParams
from pylic.ps import footprint, pixels, prior
from pylic.ps.latent import EntropyTables
from pylic.ps.package import DeployPackage, load, ps_tables
from pylic.runtime.intconv import IntConv, compile_conv, exact_kernels, verify

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


class CheckedConv:
    """An IntConv that proves itself exact (`intconv.verify`) at each new input shape before computing on it."""

    def __init__(self, conv: IntConv):
        self.conv = conv
        self.shapes: set[tuple[int, ...]] = set()  # input shapes proven exact (in this process) for this layer
        self._seen: set[tuple[tuple[int, ...], int]] = set()  # (shape, torch threads): the kernel choice's inputs

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        key = (tuple(x.shape), torch.get_num_threads())
        if key not in self._seen:
            verify(self.conv, key[0])
            self._seen.add(key)
            self.shapes.add(key[0])
        return self.conv(x)


def _abs(x: torch.Tensor) -> torch.Tensor:
    """The PS's abs (`pylic.ps.prior.abs_sat`) on the emulator's int8-valued float tensors."""
    return torch.from_numpy(prior.abs_sat(x.numpy()).astype(np.float32))


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
            steps.append(CheckedConv(conv) if check else conv)
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
        self.patch = m.patch  # the only patch its bitstreams may declare
        self.entropy = EntropyTables.from_arrays(arrays)
        self.layers = footprint.package_layers(m, arrays)
        workers = threads if threads is not None else torch.get_num_threads()
        self._pool = ThreadPoolExecutor(workers) if workers > 1 else None
        self.programs = {t: _compile(ops, arrays, self._pool, self_check) for t, ops in m.transforms.items()}
        self.tables = ps_tables(pkg)

    def _run(self, t: str, x: torch.Tensor) -> torch.Tensor:
        with exact_kernels(), torch.no_grad():
            for step in self.programs[t]:
                x = step(x)
        return x

    def analysis(self, patches: np.ndarray) -> np.ndarray:
        x = pixels.pixels_in(patches, self.tables.input_lut).astype(np.float32)
        return self._run("g_a", torch.from_numpy(x)).numpy()

    def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
        return self._run("h_a", _to_int8_float(y)).numpy()

    def prior_indexes(self, z_hat: np.ndarray) -> np.ndarray:
        q = self._run("h_s", _to_int8_float(z_hat)).numpy()
        return prior.scale_index(q, self.tables.index_lut)

    def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
        q = self._run("g_s", _to_int8_float(y_hat)).numpy()
        t = self.tables
        return pixels.pixels_out(q, t.output_position, t.output_scale, t.output_offset)

    def prove_exact(self, batch: int = 8) -> dict[str, tuple[int, ...]]:
        """Run every layer once at the production shapes (`batch` patches of the package's patch size), so each
        conv proves itself exact there (`intconv.verify`, cached per process) before real data meets it.
        Returns each conv layer's input shape at that batch."""
        p = self.package.manifest.patch
        y = self.analysis(np.zeros((batch, 3, p, p), dtype=np.uint8))
        self.prior_indexes(self.hyper_analysis(y))
        self.synthesis(y)
        return {step.conv.name: shape for program in self.programs.values() for step in program
                if isinstance(step, CheckedConv) for shape in step.shapes if shape[0] == batch}

    def op_steps(self, transform: str, ops: tuple[str, ...]) -> list[Step]:
        """The compiled steps of a run of `transform`'s ops (a DPU segment or one GDN op): the board's host mode
        stands them in for one xmodel or one HLS kernel."""
        spec = tuple(o for o in self.package.manifest.transforms[transform] if o.name in ops)
        return _compile(spec, self.package.arrays, self._pool, False)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
