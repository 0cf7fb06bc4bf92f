"""One entry point for notebooks, the same on the board and on the host:

    codec = open_codec("pylic-student-q2-int8")                      # host: emulator behind the board's interfaces
    codec = open_codec("/home/xilinx/pylic/package", overlay="/home/xilinx/pylic/overlay")   # the board
    data = codec.encode(image); image2 = codec.decode(data); codec.last_report.summary()

The header's model name is the shipped package's name when the package's hash is a shipped one (also for a
copy of it, e.g. the `package/` folder `invoke deploy` writes on the board), else `emu-<folder>`, as
`pylic.api.backend_for` names it, so host, board and the plain emulator `Codec` write the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pylic.board.codec import BoardBackend, PipelinedCodec
from pylic.board.lanes import Hardware
from pylic.board.ps_path import PsPath
from pylic.board.scheduler import Mode


@dataclass
class Session:
    """A package on some hardware; codecs built from it share runners, drivers and tables."""

    package: Any
    name: str
    hardware: Hardware
    ps: PsPath
    on_board: bool

    def codec(self, mode: Mode = "pipelined", overlap: int = 0, lanes: int | None = None,
              timeout: float = 600.0, version: int = 2, context: int = 0) -> PipelinedCodec:
        return PipelinedCodec(self.hardware, self.ps, self.package, self.name, overlap, mode, lanes, timeout,
                              version, context)

    def backend(self) -> BoardBackend:
        return BoardBackend(self.hardware, self.ps, self.package, self.name)


def _package(ref: str | Path) -> tuple[Any, str]:
    from pylic.ps.package import load  # noqa: PLC0415
    from pylic.zoo.packages import package_for_hash, resolve_package  # noqa: PLC0415

    pkg = load(resolve_package(ref))
    shipped = package_for_hash(pkg.model_hash)  # a copied shipped package keeps its name (board == host bytes)
    return pkg, shipped.name if shipped else f"emu-{Path(resolve_package(ref)).name}"


def open_session(package: str | Path, overlay: str | Path | None = None, cores: int = 3) -> Session:
    """`overlay=None`: host mode (emulated runners and kernels, threads as lanes); else the overlay folder."""
    pkg, name = _package(package)
    if overlay is None:
        from pylic.board.host import host_hardware  # noqa: PLC0415
        from pylic.runtime.emulator import EmulatorBackend  # noqa: PLC0415

        hw, _ = host_hardware(EmulatorBackend(pkg, name, threads=1), cores)
    else:
        from pylic.board.overlay import LicOverlay  # noqa: PLC0415

        hw = LicOverlay(overlay, pkg, cores).hardware
    return Session(pkg, name, hw, PsPath(pkg), overlay is not None)


def open_codec(package: str | Path, overlay: str | Path | None = None, mode: Mode = "pipelined",
               overlap: int = 0, cores: int = 3) -> PipelinedCodec:
    return open_session(package, overlay, cores).codec(mode, overlap)
