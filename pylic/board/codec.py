"""Codecs over the lane scheduler: `PipelinedCodec` (the paper's three-lane pipeline, entropy coding inside the
patch flow) and `BoardBackend` (the Backend protocol, so the plain `Codec`, the CLI and the API run unchanged).

Both write exactly the container the plain `Codec` writes (v2 by default: one stream per patch holding the
latents that reach the frame; v1 on request), so their bytes can be compared with the emulator's one for one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pylic.board.lanes import Hardware, context_plans, decode_plan, encode_plan, transform_plan
from pylic.board.ps_path import PsPath, nchw, nhwc, to_int8
from pylic.board.scheduler import Mode, RunReport, Scheduler
from pylic.errors import BitstreamError
from pylic.ps import container, container_v1, footprint, tiling
from pylic.ps.context_tiling import (check_options, extract_windows, latent_map, latent_tiles, owned_latents,
                                     place_owned, synthesis_windows)
from pylic.ps.stages import decode_stages, encode_stages


class PipelinedCodec:
    """`encode(image) -> bytes`, `decode(bytes) -> image`; `last_report` holds the timings of the last call."""

    def __init__(self, hw: Hardware, ps: PsPath, package: Any, name: str, overlap: int = 0,
                 mode: Mode = "pipelined", lanes: int | None = None, timeout: float = 600.0, version: int = 2,
                 context: int = 0):
        if version not in (1, 2):
            raise ValueError("container version must be 1 or 2")
        check_options(package.manifest.patch, context, overlap, version)
        self.hw, self.ps, self.name, self.overlap, self.version = hw, ps, name, overlap, version
        self.context = context
        self.model_hash = package.model_hash
        self.patch = package.manifest.patch
        self.layers = footprint.package_layers(package.manifest, package.arrays)
        transforms = package.manifest.transforms
        lanes = hw.cores if lanes is None else lanes
        self._enc = Scheduler(encode_plan(transforms, hw, ps), lanes, mode, timeout=timeout)
        self._dec = Scheduler(decode_plan(transforms, hw, ps), lanes, mode, timeout=timeout)
        self._ctx = {k: Scheduler(p, lanes, mode, timeout=timeout)
                     for k, p in context_plans(transforms, hw, ps).items()}
        self.last_report: RunReport | None = None

    def encode(self, image: np.ndarray) -> bytes:
        from pylic.codec.codec import check_image  # noqa: PLC0415 (the Codec's own input checks)

        image = check_image(image)
        if self.context:
            return self._encode_context(image)
        header = container.Header(self.model_hash, image.shape[0], image.shape[1], self.patch, self.overlap,
                                  self.name if self.version == 1 else "", 3, self.version)
        patches = tiling.extract(image, header.grid)
        if self.version == 1:
            jobs, self.last_report = self._enc.run({"patch": p} for p in patches)
            return container_v1.pack(header, [(j.data["z_bytes"], j.data["y_bytes"]) for j in jobs])
        extents = footprint.patch_extents(header.grid, self.layers["g_s"], self.layers["h_s"])
        jobs, self.last_report = self._enc.run({"patch": p, "extent": e} for p, e in zip(patches, extents))
        return container.pack(header, [j.data["stream"] for j in jobs])

    def decode(self, data: bytes, max_pixels: int = container.MAX_PIXELS) -> np.ndarray:
        header, subs = container.read(data, max_pixels, self.patch)
        if header.mode == container.CONTEXT_TILING:
            return self._decode_context(header, subs)
        if header.model_hash != self.model_hash:
            raise BitstreamError(f"bitstream was made by model {header.model_name or '?'} "
                                 f"({header.model_hash.hex()}), not by {self.name} ({self.model_hash.hex()})")
        if header.version == 1:
            jobs, self.last_report = self._dec.run({"z_bytes": z, "y_bytes": y} for z, y in subs)
        else:
            extents = footprint.patch_extents(header.grid, self.layers["g_s"], self.layers["h_s"])
            jobs, self.last_report = self._dec.run({"stream": s, "extent": e} for s, e in zip(subs, extents))
        return tiling.reassemble(np.stack([j.data["patch"] for j in jobs]), header.grid)


    def _extents(self, header: container.Header) -> list:
        return footprint.patch_extents(header.grid, self.layers["g_s"], self.layers["h_s"])

    def _encode_context(self, image: np.ndarray) -> bytes:
        """Analysis windows through the lanes, the latent map on the PS, then the coding tiles through the lanes."""
        header = container.Header(self.model_hash, image.shape[0], image.shape[1], self.patch, self.context,
                                  mode=container.CONTEXT_TILING)
        grid = header.context_grid()
        jobs, first = self._ctx["analysis"].run({"patch": w} for w in extract_windows(image, grid))
        tiles = latent_tiles(owned_latents(np.concatenate([nchw(j.data["x"]) for j in jobs]), grid), grid)
        jobs, second = self._ctx["encode_tiles"].run(
            {"x": nhwc(t[None]), "y": nhwc(t[None]), "extent": e} for t, e in zip(tiles, self._extents(header)))
        self.last_report = _joined(first, second)
        return container.pack(header, [j.data["stream"] for j in jobs])

    def _decode_context(self, header: container.Header, streams: list[bytes]) -> np.ndarray:
        grid = header.context_grid()
        jobs, first = self._ctx["decode_tiles"].run(
            {"stream": s, "extent": e} for s, e in zip(streams, self._extents(header)))
        y_map = latent_map(np.concatenate([nchw(j.data["x"]) for j in jobs]), grid)
        jobs, second = self._ctx["synthesis"].run({"x": nhwc(w[None])} for w in synthesis_windows(y_map, grid))
        self.last_report = _joined(first, second)
        return place_owned(np.stack([j.data["patch"] for j in jobs]), grid)


def _joined(first: RunReport, second: RunReport) -> RunReport:
    """One report for a two-phase run: wall times add, stages are disjoint."""
    return RunReport(first.mode, first.lanes, first.patches + second.patches, first.wall_s + second.wall_s,
                     {**first.stage_s, **second.stage_s})


class BoardBackend:
    """The Backend protocol over the board's units: each call runs one transform over a batch of patches,
    patches spread over the lanes."""

    def __init__(self, hw: Hardware, ps: PsPath, package: Any, name: str, timeout: float = 600.0):
        self.hw, self.ps, self.name = hw, ps, name
        self.model_hash = package.model_hash
        self.patch = package.manifest.patch
        self.entropy = ps.entropy
        self.layers = footprint.package_layers(package.manifest, package.arrays)
        t = package.manifest.transforms
        enc, dec = encode_stages(t), decode_stages(t)
        self._runs = {name: Scheduler(transform_plan(name, stages, hw, ps), hw.cores, timeout=timeout)
                      for name, stages in (("g_a", enc), ("h_a", enc), ("h_s", enc), ("g_s", dec))}

    def _run(self, transform: str, xs: list[np.ndarray]) -> list[np.ndarray]:
        jobs, _ = self._runs[transform].run({"x": x} for x in xs)
        return [j.data["x"] for j in jobs]

    def _latents(self, a: np.ndarray) -> list[np.ndarray]:
        return [nhwc(to_int8(a[i:i + 1])) for i in range(a.shape[0])]

    def analysis(self, patches: np.ndarray) -> np.ndarray:
        ys = self._run("g_a", [self.ps.pixels_in(p) for p in patches])
        return nchw(np.concatenate(ys)).astype(np.float32)

    def hyper_analysis(self, y: np.ndarray) -> np.ndarray:
        return nchw(np.concatenate(self._run("h_a", self._latents(y)))).astype(np.float32)

    def prior_indexes(self, z_hat: np.ndarray) -> np.ndarray:
        qs = self._run("h_s", self._latents(z_hat))
        return np.concatenate([self.ps.indexes(q) for q in qs]).astype(np.int32)

    def synthesis(self, y_hat: np.ndarray) -> np.ndarray:
        return np.stack([self.ps.pixels_out(q) for q in self._run("g_s", self._latents(y_hat))])
