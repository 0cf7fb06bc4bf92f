"""`invoke board-bench` in host mode: both modes timed per stage, the same bytes, the report says where it ran."""

from __future__ import annotations

import json

from pylic.board.bench import board_bench


def test_board_bench_host_report(tiny_package_dir, tmp_path, one_torch_thread):
    out = tmp_path / "bench.json"
    r = board_bench(str(tiny_package_dir), overlap=0, width=300, height=200, repeat=1, out=out)
    assert json.loads(out.read_text()) == r
    assert r["where"].startswith("host emulator") and r["identical_bytes"] is True
    assert r["pipelined_encode"]["lanes"] == 3 and r["sequential_decode"]["lanes"] == 1
    assert r["sequential_encode"]["patches"] == 2 and "y_encode" in r["pipelined_encode"]["stage_ms_per_patch"]
    assert 0 < r["scheduler_overhead_us_per_patch"] < 1000 and r["bpp"] > 0
