"""The kernel interface JSON loader refuses everything a driver could misuse, with a BoardError."""

from __future__ import annotations

import json

import pytest

from pylic.board import interface
from pylic.errors import BoardError
from tests.board_helpers import gdn_entry, interface_doc


def test_valid_document_round_trip(tmp_path):
    doc = interface_doc(gdn_entry(), gdn_entry("igdn_g_s_1", "g_s.1", "igdn"))
    path = tmp_path / "kernels.json"
    path.write_text(json.dumps(doc))
    kernels = interface.load(path)
    assert [k.top for k in kernels] == ["gdn_g_a_1", "igdn_g_s_1"]
    k = kernels[0]
    assert (k.args["src"].offset, k.args["src"].words, k.args["n_pixels"].words) == (0x10, 2, 1)
    assert k.control["ap_ctrl"] == 0 and k.vlnv == "xilinx.com:hls:gdn_g_a_1:1.0"
    interface.check_ops(kernels, {"g_a.1": "gdn", "g_s.1": "igdn"})
    with pytest.raises(BoardError, match="g_s.3"):
        interface.check_ops(kernels, {"g_a.1": "gdn", "g_s.3": "igdn"})
    with pytest.raises(BoardError, match="wrong role"):
        interface.check_ops(kernels, {"g_a.1": "igdn"})


def _mutated(path: list, value) -> dict:
    doc = interface_doc()
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize("path,value,match", [
    (["schema"], "pylic-kernel-interface/2", "schema"),
    (["kernels", 0, "top"], "gdn_dpu_1", "dpu"),
    (["kernels", 0, "vlnv"], "gdn", "vendor:library"),
    (["kernels", 0, "role"], "conv", "role"),
    (["kernels", 0, "op"], None, "needs op"),
    (["kernels", 0, "instances"], [], "instances"),
    (["kernels", 0, "control", "gie"], 0, "distinct"),
    (["kernels", 0, "args", "src", "bits"], 32, "pointers are 64-bit"),
    (["kernels", 0, "args", "dst", "offset"], 0x14, "overlap"),
    (["kernels", 0, "args", "n_pixels", "offset"], 0x2A, "not a word"),
    (["kernels", 0, "args", "n_pixels", "offset"], True, "integer"),
    (["kernels", 0, "args", "src", "kind"], "stream", "kind"),
    (["kernels", 0, "args", "dst"], KeyError, "needs pointer argument 'dst'"),
    (["kernels", 0, "extra"], 1, "keys"),
])
def test_malformed_documents_are_board_errors(path, value, match):
    with pytest.raises(BoardError, match=match):
        interface.parse(_mutated(path, value))


def test_duplicates_and_bad_files(tmp_path):
    with pytest.raises(BoardError, match="duplicate top"):
        interface.parse(interface_doc(gdn_entry(), gdn_entry(op="g_a.3")))
    with pytest.raises(BoardError, match="two kernels implement one op"):
        interface.parse(interface_doc(gdn_entry(), gdn_entry("gdn_b")))
    bad = tmp_path / "k.json"
    bad.write_text("[" * 100_000)
    with pytest.raises(BoardError, match="not valid JSON"):
        interface.load(bad)
    with pytest.raises(BoardError, match="cannot read"):
        interface.load(tmp_path / "missing.json")
