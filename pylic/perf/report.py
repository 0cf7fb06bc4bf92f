"""`invoke perf` and `invoke plan`: the frame model for one model, FPS against the width N, JSON + PNG charts."""

from __future__ import annotations

import json
from pathlib import Path

from pylic.errors import PylicError
from pylic.imageio import atomic_write, write_file
from pylic.perf import ps
from pylic.perf.layers import Spec, load_ops
from pylic.perf.model import model_frame
from pylic.perf.platform import Platform, platform_for

WIDTHS = tuple(range(16, 257, 16))


def parse_size(size: str) -> tuple[int, int]:
    """`1280x720` -> (height 720, width 1280)."""
    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise PylicError(f"size {size!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    return h, w


def fps_vs_width(M: int, hyper: int, pf: Platform, height: int, width: int, overlap: int, prune: float = 0.0,
                 widths=WIDTHS, gdn_par: int = 0, costs: ps.PsCosts | None = None) -> list[dict]:
    """Encode/decode FPS (end to end and accelerator only) for hidden widths N at fixed M and hyper width."""
    rows = []
    for n in widths:
        r = model_frame(Spec(n, M, prune, hyper).ops(), pf, height, width, overlap, gdn_par=gdn_par, costs=costs)
        rows.append({"N": n, **{f"{side}_{k}": v for side in ("encode", "decode") for k, v in (
            ("fps", r[side]["fps_pipelined"]), ("fps_sequential", r[side]["fps_sequential"]),
            ("bottleneck", r[side]["bottleneck"]), ("fps_accelerator", r[side]["accelerator_only"]["fps_pipelined"]),
            ("bottleneck_accelerator", r[side]["accelerator_only"]["bottleneck"]),
            ("fps_dpu", r[side]["dpu_only"]["fps_pipelined"]))},
            "gdn_par": r["gdn_par"], "gdn_dsp_fits": r["gdn_budget"]["dsp_fits"]})
    return rows


def _save_png(fig, path: Path) -> None:
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))


def _charts(report: dict, sweep: list[dict], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = report["layers"]
    fig, ax = plt.subplots(figsize=(9, 4))
    names = [l["name"] for l in layers]
    ax.bar(names, [l["workload"] / 4096 for l in layers], label="ideal (real ops / 4,096)", color="tab:green")
    ax.bar(names, [l["cycles"] - l["workload"] / 4096 for l in layers],
           bottom=[l["workload"] / 4096 for l in layers], label="lost to PP/ICP/OCP rounding", color="tab:red")
    ax.set_ylabel("DPU cycles per 256x256 patch")
    ax.set_title(f"{report['model']}: per-layer DPU cycles ({report['platform']['name']})")
    ax.tick_params(axis="x", rotation=60)
    ax.legend()
    _save_png(fig, out / "layers.png")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    ns = [r["N"] for r in sweep]
    for key, style, label in (("encode_fps", "-o", "encode, end to end"), ("decode_fps", "-s", "decode, end to end"),
                              ("encode_fps_accelerator", "--o", "encode, DPU + GDN only"),
                              ("decode_fps_accelerator", "--s", "decode, DPU + GDN only"),
                              ("encode_fps_dpu", ":^", "encode, DPU only")):
        ax.plot(ns, [r[key] for r in sweep], style, label=label, markersize=3)
    ax.set_yscale("log")
    ax.set_xlabel("hidden width N")
    ax.set_ylabel("modelled FPS (pipelined)")
    ax.set_title(f"FPS vs N at M={report['M']}, hyper {report['hyper']}, "
                 f"{report['tiling']['width']}x{report['tiling']['height']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    _save_png(fig, out / "fps_vs_n.png")
    plt.close(fig)
    return [str(out / "layers.png"), str(out / "fps_vs_n.png")]


def perf_report(package: str | None = None, model: str | None = None, spec: str | None = None,
                board: str = "zcu102", size: str = "1280x720", overlap: int = 56, gdn_par: int = 0,
                a53_factor: float = ps.A53_FACTOR, out: str | Path = "out/perf", charts: bool = True,
                layer_overhead: int = 0, bench: str | None = None, echo=print) -> dict:
    """Model one package / registry model / spec; write `perf.json` (+ `layers.png`, `fps_vs_n.png`) to `out`."""
    label, ops, formats = load_ops(package, model, spec)
    pf = platform_for(board).with_(layer_overhead_cycles=layer_overhead)
    height, width = parse_size(size)
    costs = ps.costs_from_bench(bench, a53_factor) if bench else ps.default_costs(a53_factor)
    report = {"model": label, **model_frame(ops, pf, height, width, overlap, gdn_formats=formats, gdn_par=gdn_par,
                                            costs=costs)}
    report["M"], report["hyper"] = ops["g_a"][-1].out_channels, ops["h_a"][-1].out_channels
    out = Path(out)
    if charts:
        sweep = fps_vs_width(report["M"], report["hyper"], pf, height, width, overlap, gdn_par=gdn_par, costs=costs)
        report["fps_vs_n"] = sweep
        report["charts"] = _charts(report, sweep, out)
    write_file(out / "perf.json", json.dumps(report, indent=1))
    echo(format_summary(report))
    return report


def format_summary(r: dict) -> str:
    t = r["tiling"]
    lines = [f"{r['model']} on {r['platform']['name']}, {t['width']}x{t['height']} as {t['patches']} patches of "
             f"{t['patch']}^2 (overlap {t['overlap']}, {t['pixel_overhead']:.2f}x the frame's pixels)",
             f"{'layer':<8} {'MMAC':>8} {'cycles':>9} {'eff':>5} {'kB':>7} bound"]
    for l in r["layers"]:
        lines.append(f"{l['name']:<8} {l['macs'] / 1e6:8.1f} {l['cycles']:9d} {l['efficiency']:5.2f} "
                     f"{l['bytes'] / 1e3:7.1f} {l['bound']}")
    for side in ("encode", "decode"):
        s = r[side]
        acc = s["accelerator_only"]
        lines.append(f"{side}: {s['fps_pipelined']:.2f} FPS pipelined, {s['fps_sequential']:.2f} sequential "
                     f"(x{s['speedup']:.2f}), bottleneck {s['bottleneck']}; DPU + GDN only {acc['fps_pipelined']:.2f} "
                     f"/ {acc['fps_sequential']:.2f} FPS, bottleneck {acc['bottleneck']}; DPU only "
                     f"{s['dpu_only']['fps_pipelined']:.2f} FPS; per patch "
                     + ", ".join(f"{k} {v:.2f} ms" for k, v in s["per_patch_ms"].items()))
    b = r["gdn_budget"]
    lines.append(f"GDN kernels (PAR {r['gdn_par']}): {b['dsp_needed']} DSP of {b['dsp_left']} left "
                 f"({'fits' if b['dsp_fits'] else 'DOES NOT FIT'}); resident gamma "
                 f"{b['bram36_needed_resident_gamma']:.0f}"
                 f" BRAM36 of {b['bram36_left']:.0f} ({'fits' if b['bram36_fits'] else 'does not fit: stream it'})")
    return "\n".join(lines)


def plan(fps: float, board: str = "zcu102", M: int = 320, hyper: int = 192, prune: float = 0.0, step: int = 16,
         size: str = "1280x720", overlap: int = 56, gdn_par: int = 0, a53_factor: float = ps.A53_FACTOR,
         out: str | Path | None = "out/plan.json", layer_overhead: int = 0, echo=print) -> dict:
    """Widths N (multiples of `step`) whose modelled encode FPS meets `fps`, end to end and accelerator only."""
    if fps <= 0 or step < 1:
        raise PylicError("fps and step must be positive")
    pf = platform_for(board).with_(layer_overhead_cycles=layer_overhead)
    height, width = parse_size(size)
    rows = fps_vs_width(M, hyper, pf, height, width, overlap, prune, range(step, 257, step), gdn_par,
                        ps.default_costs(a53_factor))
    for r in rows:
        r["margin_end_to_end"] = r["encode_fps"] / fps - 1
        r["margin_accelerator"] = r["encode_fps_accelerator"] / fps - 1
        r["margin_dpu"] = r["encode_fps_dpu"] / fps - 1
    best = {scope: max((r["N"] for r in rows if r[f"margin_{scope}"] >= 0), default=None)
            for scope in ("end_to_end", "accelerator", "dpu")}
    result = {"target_fps": fps, "board": board, "M": M, "hyper": hyper, "prune": prune, "size": size,
              "overlap": overlap, "gdn_par": gdn_par, "a53_factor": a53_factor, "widest_meeting": best, "rows": rows}
    lines = [f"target {fps:g} encode FPS on {board}, {size} (overlap {overlap}), M={M}, hyper {hyper}, "
             f"prune {prune:g}, GDN PAR {gdn_par or 'auto (widest that fits the DSPs left)'}; pipelined encode FPS",
             f"{'N':>4} {'end-to-end':>10} {'margin':>7} {'bottleneck':<10} {'DPU+GDN':>8} {'margin':>7} "
             f"{'bottleneck':<10} {'PAR':>3} {'DPU only':>8} {'margin':>7}"]
    for r in rows:
        lines.append(f"{r['N']:>4} {r['encode_fps']:10.2f} {100 * r['margin_end_to_end']:+6.0f}% "
                     f"{r['encode_bottleneck']:<10} {r['encode_fps_accelerator']:8.2f} "
                     f"{100 * r['margin_accelerator']:+6.0f}% {r['encode_bottleneck_accelerator']:<10} "
                     f"{r['gdn_par']:>3} {r['encode_fps_dpu']:8.2f} {100 * r['margin_dpu']:+6.0f}%")
    for scope, n in best.items():
        lines.append(f"widest N meeting {fps:g} FPS ({scope.replace('_', ' ')}): "
                     + (str(n) if n is not None else "none"))
    echo("\n".join(lines))
    if out:
        write_file(out, json.dumps(result, indent=1))
    return result
