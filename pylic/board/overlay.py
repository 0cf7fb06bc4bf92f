"""`LicOverlay`: program the overlay, make VART see its xclbin, bind pylic's HLS drivers, create the runners.

Files of an overlay folder (what `invoke build-overlay` and `invoke compile-xmodel` produce): `dpu.bit`,
`dpu.hwh`, `dpu.xclbin` (named `dpu.*` because DPU-PYNQ derives names with `rstrip(".bit")`, HW_FLOW.md §3),
`kernels.json` (kernel interface), and `xmodels/xmodels.json`, the checked record of `pylic.xmodel.compile` that
names each DPU segment's compiled xmodel (`compiled/<graph>/<graph>.xmodel`, relative to `xmodels/`).

VART finds the xclbin through `XLNX_VART_FIRMWARE`, set before any runner exists; `DpuOverlay.load_model` is
not used (it refuses multi-subgraph models and takes the first core's slot). The drivers are `DefaultIP`
subclasses created here with `bindto` = each kernel's VLNV, so `pynq.Overlay` binds them while it parses the
`.hwh`. pynq, xir and vart are imported only when an overlay is opened, so the host can import this module.
"""

from __future__ import annotations

import json
import os
import types
from pathlib import Path
from typing import Any

from pylic.board import interface
from pylic.board.dpu import DpuRunners, segment_io
from pylic.board.kernel import GdnDriver, HlsKernel
from pylic.board.lanes import Hardware
from pylic.errors import BoardError

FILES = ("dpu.bit", "dpu.hwh", "dpu.xclbin", "kernels.json")


def driver_classes(kernels: tuple[interface.KernelSpec, ...], default_ip: type) -> dict[str, type]:
    """One `DefaultIP` subclass per kernel VLNV; creating the class registers it with PYNQ (`bindto`)."""
    out = {}
    for k in kernels:
        def body(ns: dict[str, Any], k: interface.KernelSpec = k) -> None:
            ns["bindto"] = [k.vlnv]
            ns["kernel_spec"] = k
            ns["__doc__"] = f"pylic HLS kernel {k.top} ({k.role} {k.op or ''}); registers from kernels.json"
        out[k.vlnv] = types.new_class(f"{k.top}_driver", (default_ip,), exec_body=body)
    return out


def xmodel_files(xdir: Path, segments) -> dict[str, Path]:
    """segment -> its compiled xmodel, from the checked record `xmodels.json` (only checked xmodels are loaded)."""
    record = xdir / "xmodels.json"
    try:
        entries = json.loads(record.read_text())["segments"]
        files = {e["segment"]: xdir / e["xmodel"] for e in entries}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BoardError(f"{record}: no readable xmodel record ({exc}); run `invoke compile-xmodel` "
                         "(or `invoke build-overlay`)") from None
    absent = [s for s in segments if s not in files or not files[s].is_file()]
    if absent:
        raise BoardError(f"{xdir} lacks xmodels for segments {absent} (run `invoke compile-xmodel`)")
    return {s: files[s] for s in segments}


def dpu_subgraph(graph: Any, name: str) -> Any:
    """The single DPU subgraph of one segment's xmodel (the flow compiles each segment to exactly one)."""
    subs = [s for s in graph.get_root_subgraph().toposort_child_subgraph()
            if s.has_attr("device") and s.get_attr("device").upper() == "DPU"]
    if len(subs) != 1:
        raise BoardError(f"xmodel of {name} has {len(subs)} DPU subgraphs, expected exactly 1")
    return subs[0]


class LicOverlay:
    """The programmed board: `hardware` (runners + GDN drivers) for the codecs in `pylic.board.codec`."""

    def __init__(self, folder: str | Path, package: Any, cores: int = 3, xmodels: str | Path | None = None,
                 kernel_timeout_s: float = 1.0):
        folder = Path(folder)
        missing = [f for f in FILES if not (folder / f).is_file()]
        if missing:
            raise BoardError(f"overlay folder {folder} lacks {missing} (build it with `invoke build-overlay`)")
        m = package.manifest
        kernels = interface.load(folder / "kernels.json")
        gdn_ops = {o.name: o for ops in m.transforms.values() for o in ops if o.op in ("gdn", "igdn")}
        interface.check_ops(kernels, {n: o.op for n, o in gdn_ops.items()})
        io = segment_io(m.transforms, m.patch)
        files = xmodel_files(Path(xmodels) if xmodels is not None else folder / "xmodels", list(io))

        os.environ["XLNX_VART_FIRMWARE"] = str((folder / "dpu.xclbin").resolve())
        import pynq  # noqa: PLC0415 (board only)

        self.drivers = driver_classes(kernels, pynq.DefaultIP)
        self.overlay = pynq.Overlay(str(folder / "dpu.bit"))
        gdn = {}
        self.kernels = {k.top: HlsKernel(k, self._ip(k), kernel_timeout_s) for k in kernels}
        for k in kernels:
            if k.op is None:
                continue  # patch buffers (in `kernels`, driven with `HlsKernel.call`): tiling runs on the PS
            gdn[k.op] = GdnDriver(self.kernels[k.top], pynq.allocate, gdn_ops[k.op].in_channels, (m.patch // 2) ** 2)
        import vart  # noqa: PLC0415
        import xir  # noqa: PLC0415

        subgraphs = {s: dpu_subgraph(xir.Graph.deserialize(str(files[s])), s) for s in io}
        self.runners = DpuRunners(subgraphs, io, cores, lambda sg: vart.Runner.create_runner(sg, "run"))
        self.hardware = Hardware(self.runners, gdn)

    def _ip(self, k: interface.KernelSpec) -> Any:
        """The bound driver of `k`'s compute unit; a .hwh without it means kernels.json is from another build."""
        ip = getattr(self.overlay, k.instances[0], None)
        if not isinstance(ip, self.drivers[k.vlnv]):
            raise BoardError(f"the overlay has no {k.vlnv} instance {k.instances[0]} (found {type(ip).__name__}): "
                             "kernels.json and dpu.hwh come from different builds")
        return ip
