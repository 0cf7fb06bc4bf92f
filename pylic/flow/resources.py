"""Resource fit before anything is built: DPU cores (per-core figures from the board file) + platform
overhead + every pylic HLS kernel (its estimate from the deploy package, or its synthesis report once one
exists) against the board's DSP / BRAM36 / LUT budget. A design that does not fit fails here, with the
table, before any vendor tool runs.

GDN/iGDN γ is held resident in each kernel (baked-in constants, partitioned per PAR lane as
`pylic.hls.estimate` models it), so it counts in that kernel's BRAM/LUTRAM; see docs/overlay.md for why and
for what a package whose γ does not fit needs instead.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from pylic.errors import PylicError
from pylic.flow.boards import Board
from pylic.hls.estimate import gdn_estimate, patch_estimate

COLUMNS = ("dsp", "bram36", "lut")
RGB = 3  # the patch buffer moves RGB pixels


class ResourceError(PylicError):
    """The design does not fit the board (the message carries the resource table)."""


@dataclass(frozen=True)
class Row:
    name: str
    count: int
    dsp: float
    bram36: float
    lut: float | None  # None: not estimated (HLS kernels before synthesis)
    source: str  # where the figures come from


def package_kernel_rows(manifest, par: int = 1) -> list[Row]:
    """One row per GDN/iGDN op of the package (estimate from its format and channel count) + the patch buffer."""
    from pylic.hls.gdn_codegen import bus_bytes_for, kernel_name

    rows = []
    patch = manifest.patch
    for t in ("g_a", "g_s"):
        scale = 1.0 if t == "g_a" else 1.0 / 16
        for op in manifest.transforms.get(t, ()):
            if op.op == "conv":
                scale /= op.stride
            elif op.op == "deconv":
                scale *= op.stride
            elif op.op in ("gdn", "igdn"):
                fmt, lut = op.gdn["format"], op.gdn["lut"]
                c = op.out_channels
                est = gdn_estimate(kernel_name(op.name, op.op == "igdn"), c, par, bus_bytes_for(c),
                                   fmt["gamma_bits"], fmt["beta_bits"], fmt["lut_bits"], fmt["lut_size"],
                                   lut["interp_bits"], int((patch * scale) ** 2))
                rows.append(Row(est.kernel, 1, est.dsp, est.bram18 / 2, None, "estimate"))
    est = patch_estimate("patch_buffer", patch, RGB)
    rows.append(Row(est.kernel, 1, est.dsp, est.bram18 / 2, None, "estimate"))
    return rows


def with_reports(rows: list[Row], kernels_dir: Path) -> list[Row]:
    """Replace a kernel's estimate by its synthesis report (`<kernel>/csynth.json`) where one exists."""
    out = []
    for r in rows:
        rep = kernels_dir / r.name / "csynth.json"
        if rep.is_file():
            res = json.loads(rep.read_text()).get("resources", {})
            out.append(Row(r.name, r.count, res.get("DSP") or 0, (res.get("BRAM_18K") or 0) / 2, res.get("LUT"),
                           "csynth"))
        else:
            out.append(r)
    return out


def board_rows(board: Board, cores: int | None = None) -> list[Row]:
    n = board.dpu.cores if cores is None else cores
    pc, po = board.dpu.per_core, board.platform_overhead
    return [Row(f"DPUCZDX8G {board.dpu.arch}", n, pc.dsp, pc.bram36, pc.lut, "board file (PG338)"),
            Row("platform (PS glue, clocks, interconnects)", 1, po.dsp, po.bram36, po.lut, "board file")]


@dataclass(frozen=True)
class Fit:
    rows: tuple[Row, ...]
    used: dict[str, float]
    budget: dict[str, int]
    over: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "used": self.used, "budget": self.budget,
                "over": list(self.over), "fits": not self.over}


def fit(board: Board, kernel_rows: list[Row], cores: int | None = None) -> Fit:
    rows = tuple(board_rows(board, cores) + kernel_rows)
    used = {c: sum(r.count * (getattr(r, c) or 0) for r in rows) for c in COLUMNS}
    budget = {c: getattr(board.budget, c) for c in COLUMNS}
    over = tuple(c for c in COLUMNS if used[c] > budget[c])
    return Fit(rows, used, budget, over)


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.1f}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v):,}"


def table(f: Fit, board: Board) -> str:
    """Markdown table: one line per component (count x per-unit figures), total, budget, what is left."""
    head = f"| component | n | DSP | BRAM36 | LUT | from |\n|---|---|---|---|---|---|\n"
    lines = [f"| {r.name} | {r.count} | {_fmt(r.count * r.dsp)} | {_fmt(r.count * r.bram36)} | "
             f"{_fmt(None if r.lut is None else r.count * r.lut)} | {r.source} |" for r in f.rows]
    total = f"| **total** | | {_fmt(f.used['dsp'])} | {_fmt(f.used['bram36'])} | {_fmt(f.used['lut'])} | |"
    budget = (f"| **{board.name} budget** | | {_fmt(f.budget['dsp'])} | {_fmt(f.budget['bram36'])} | "
              f"{_fmt(f.budget['lut'])} | {board.part} |")
    left = "| **left** | | " + " | ".join(_fmt(f.budget[c] - f.used[c]) for c in COLUMNS) + " | |"
    verdict = ("fits" if not f.over else "DOES NOT FIT: " + ", ".join(
        f"{c} {_fmt(f.used[c])} > {_fmt(f.budget[c])}" for c in f.over))
    note = "\nHLS kernel LUTs are not estimated before synthesis ('-'); DSP/BRAM are.\n"
    return head + "\n".join(lines + [total, budget, left]) + f"\n\n{verdict}\n" + note


def check_fit(f: Fit, board: Board) -> None:
    if f.over:
        biggest = max((r for r in f.rows if r.source in ("estimate", "csynth")), key=lambda r: r.bram36, default=None)
        hint = (f" The largest kernel is {biggest.name} ({_fmt(biggest.bram36)} BRAM36, GDN γ held resident);"
                " see docs/overlay.md 'How γ is held'." if biggest and "bram36" in f.over else "")
        raise ResourceError(f"the design does not fit {board.name}:\n\n{table(f, board)}{hint}")

