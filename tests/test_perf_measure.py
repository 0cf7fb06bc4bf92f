"""The performance model's measured inputs: entropy coding per symbol through the codec's LatentCoder."""

from __future__ import annotations

import pytest

from pylic.perf.measure import elementwise_seconds_per_value, perf_inputs

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_perf_inputs_count_symbols_and_time_them(tiny_model, photo):
    frame = photo[:256, :512]
    rep = perf_inputs(frame, tiny_model, "tiny", repeats=1)
    e = rep["entropy"]
    cfg = tiny_model.cfg
    assert e["patches"] == 2
    assert e["y_symbols"] == 2 * cfg.M * 16 * 16 and e["z_symbols"] == 2 * cfg.z * 4 * 4
    assert all(0 < v < 1e-3 for v in e["s_per_symbol"].values())
    assert e["seconds"]["y_encode"] == pytest.approx(e["s_per_symbol"]["y_encode"] * e["y_symbols"])
    assert rep["ratios"]["y_encode_symbol_over_value"] > 1  # coding a symbol costs more than a LUT lookup
    assert 0 < elementwise_seconds_per_value() < 1e-6
