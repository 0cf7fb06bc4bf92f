"""The stage graph on the shipped student package: DPU segments cut at every GDN/iGDN and at the PS `abs`."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from pylic.ps import stages

PKG = Path(__file__).resolve().parents[1] / "pylic/zoo/packages/db2a869172b1976a/manifest.json"


def _transforms() -> dict:
    m = json.loads(PKG.read_text())
    return {t: [SimpleNamespace(op=o["op"], name=o["name"]) for o in ops] for t, ops in m["transforms"].items()}


def test_segments_cut_at_gdn_and_abs() -> None:
    segs = stages.dpu_segments(_transforms())
    assert [s.name for s in segs] == ["g_a.dpu0", "g_a.dpu1", "g_a.dpu2", "g_a.dpu3", "h_a.dpu0", "h_s.dpu0",
                                      "g_s.dpu0", "g_s.dpu1", "g_s.dpu2", "g_s.dpu3"]
    assert segs[4].ops == ("h_a.0", "h_a.1", "h_a.2", "h_a.3", "h_a.4")
    assert segs[0].ops == ("g_a.0",)


def test_encode_and_decode_order() -> None:
    enc = stages.encode_stages(_transforms())
    assert [s.unit for s in enc] == ["ps", "dpu", "gdn", "dpu", "gdn", "dpu", "gdn", "dpu", "ps", "dpu", "ps",
                                     "dpu", "ps"]
    assert [s.name for s in enc if s.unit == "ps"] == ["pixels_in", "h_a.abs", "z_encode", "y_encode"]
    dec = stages.decode_stages(_transforms())
    assert [s.name for s in dec][:3] == ["z_decode", "h_s.dpu0", "y_decode"]
    assert [s.unit for s in dec][3:] == ["dpu", "gdn", "dpu", "gdn", "dpu", "gdn", "dpu", "ps"]


def test_unknown_op_is_refused() -> None:
    with pytest.raises(ValueError, match="no hardware unit"):
        stages.transform_stages("g_a", [SimpleNamespace(op="softmax", name="x")])
