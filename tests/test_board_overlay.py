"""`LicOverlay` with recording stand-ins for pynq, xir and vart: VART is pointed at the overlay's xclbin before
any runner exists, the drivers bind by VLNV, runners are made segment x core, and the whole board path (driver
classes, register files, runners) encodes the bytes the emulator `Codec` writes."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from pylic.board.dpu import segment_io
from pylic.board.host import EmulatedVart, interface_doc, sim_gdn_device
from pylic.board.interface import parse
from pylic.board.overlay import LicOverlay
from pylic.board.ps_path import PsPath
from pylic.board.session import Session
from pylic.board.sim import SimMemory
from pylic.codec import Codec
from pylic.errors import BoardError
from pylic.runtime.emulator import EmulatorBackend


def _fake_modules(emu, folder: Path, events: list):
    m = emu.package.manifest
    memory = SimMemory()
    specs = {k.vlnv: k for k in parse(interface_doc(m.transforms))}
    registry: dict[str, type] = {}

    class RegisterIP(type):
        def __init__(cls, name, bases, attrs):
            for vlnv in attrs.get("bindto", []):
                registry[vlnv] = cls
            super().__init__(name, bases, attrs)

    class DefaultIP(metaclass=RegisterIP):
        def __init__(self, description):
            self.mmio = description["device"]

        def read(self, offset):
            return self.mmio.read(offset)

        def write(self, offset, value):
            self.mmio.write(offset, value)

    class Overlay:
        def __init__(self, bitfile):
            events.append(("program", Path(bitfile).name, os.environ.get("XLNX_VART_FIRMWARE")))
            for vlnv, spec in specs.items():  # what parsing the .hwh would find
                setattr(self, spec.instances[0], registry[vlnv]({"device": sim_gdn_device(emu, spec, memory)}))

    pynq = types.SimpleNamespace(DefaultIP=DefaultIP, Overlay=Overlay, allocate=memory.allocate)
    vart_sim = EmulatedVart(emu, segment_io(m.transforms, m.patch), 3)

    class Sub:
        def __init__(self, name, device):
            self.name, self.device = name, device

        def has_attr(self, key):
            return key == "device"

        def get_attr(self, key):
            return self.device

    class Graph:
        @staticmethod
        def deserialize(path):
            seg = Path(path).read_text()  # the fixture's placeholder xmodel holds its segment's name
            root = types.SimpleNamespace(toposort_child_subgraph=lambda: [Sub("in", "CPU"), Sub(seg, "DPU")])
            return types.SimpleNamespace(get_root_subgraph=lambda: root)

    def create_runner(sub, mode):
        events.append(("runner", sub.name, os.environ.get("XLNX_VART_FIRMWARE")))
        return vart_sim.create(sub.name)

    xir = types.SimpleNamespace(Graph=Graph)
    vart = types.SimpleNamespace(Runner=types.SimpleNamespace(create_runner=create_runner))
    return {"pynq": pynq, "xir": xir, "vart": vart}, registry, specs


@pytest.fixture()
def overlay_folder(tmp_path, tiny_quant):
    m = tiny_quant[2].manifest
    (tmp_path / "xmodels").mkdir()
    for f in ("dpu.bit", "dpu.hwh", "dpu.xclbin"):
        (tmp_path / f).write_bytes(b"")
    (tmp_path / "kernels.json").write_text(json.dumps(interface_doc(m.transforms)))
    entries = []
    for seg in segment_io(m.transforms, m.patch):  # the layout pylic.xmodel.compile writes and records
        rel = f"compiled/{seg.replace('.', '_')}/{seg.replace('.', '_')}.xmodel"
        (tmp_path / "xmodels" / rel).parent.mkdir(parents=True)
        (tmp_path / "xmodels" / rel).write_text(seg)
        entries.append({"segment": seg, "xmodel": rel})
    (tmp_path / "xmodels" / "xmodels.json").write_text(json.dumps({"segments": entries}))
    return tmp_path


def test_overlay_wiring_and_bytes(overlay_folder, tiny_quant, photo, monkeypatch, one_torch_thread):
    pkg = tiny_quant[2]
    emu = EmulatorBackend(pkg, "tiny", threads=1)
    events: list = []
    mods, registry, specs = _fake_modules(emu, overlay_folder, events)
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.delenv("XLNX_VART_FIRMWARE", raising=False)
    ov = LicOverlay(overlay_folder, pkg, cores=3)
    xclbin = str((overlay_folder / "dpu.xclbin").resolve())
    assert events[0] == ("program", "dpu.bit", xclbin)
    segs = list(segment_io(pkg.manifest.transforms, pkg.manifest.patch))
    assert [e[1] for e in events[1:]] == [s for s in segs for _ in range(3)]  # segment x core, one thread
    assert all(e[2] == xclbin for e in events[1:])
    assert set(registry) == set(specs) and all(registry[v].bindto == [v] for v in specs)
    assert sorted(ov.hardware.gdn) == sorted(k.op for k in specs.values())

    image = np.ascontiguousarray(photo[:256, :300])
    session = Session(pkg, "tiny", ov.hardware, PsPath(pkg), True)
    assert session.codec("pipelined").encode(image) == Codec(emu).encode(image)


def test_api_codec_for_a_board(overlay_folder, tiny_package_dir, photo, monkeypatch, one_torch_thread):
    """`pylic.api.codec_for(package=..., board=overlay)`: the plain Codec over BoardBackend on the overlay."""
    from pylic.api import codec_for
    from pylic.errors import ModelError

    emu = EmulatorBackend(tiny_package_dir, f"emu-{Path(tiny_package_dir).name}", threads=1)
    mods, _, _ = _fake_modules(emu, overlay_folder, [])
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.delenv("XLNX_VART_FIRMWARE", raising=False)
    image = np.ascontiguousarray(photo[:200, :300])
    on_board = codec_for(package=str(tiny_package_dir), board=str(overlay_folder), overlap=56)
    assert on_board.encode(image) == Codec(emu, overlap=56).encode(image)
    with pytest.raises(ModelError, match="deploy package"):
        codec_for(name="pylic-hp-v2-q1", board=str(overlay_folder))


def test_incomplete_overlay_folders_are_refused(overlay_folder, tiny_quant):
    pkg = tiny_quant[2]
    (overlay_folder / "xmodels" / "compiled/g_s_dpu2/g_s_dpu2.xmodel").unlink()
    with pytest.raises(BoardError, match=r"lacks xmodels for segments \['g_s.dpu2'\]"):
        LicOverlay(overlay_folder, pkg)
    (overlay_folder / "dpu.xclbin").unlink()
    with pytest.raises(BoardError, match="dpu.xclbin"):
        LicOverlay(overlay_folder, pkg)
    doc = json.loads((overlay_folder / "kernels.json").read_text())
    doc["kernels"] = doc["kernels"][1:]
    (overlay_folder / "dpu.xclbin").write_bytes(b"")
    (overlay_folder / "kernels.json").write_text(json.dumps(doc))
    with pytest.raises(BoardError, match="lacks kernels for ops"):
        LicOverlay(overlay_folder, pkg)


def test_kernel_missing_from_the_bitstream_is_refused(overlay_folder, tiny_quant, monkeypatch):
    pkg = tiny_quant[2]
    emu = EmulatorBackend(pkg, "tiny", threads=1)
    mods, _, _ = _fake_modules(emu, overlay_folder, [])
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.delenv("XLNX_VART_FIRMWARE", raising=False)
    doc = json.loads((overlay_folder / "kernels.json").read_text())
    doc["kernels"].append({"top": "patch_extract", "vlnv": "pylic:hls:patch_extract:1.0", "role": "patch",
                           "op": None, "instances": ["patch_extract_1"], "control": doc["kernels"][0]["control"],
                           "args": {"frame": {"offset": 16, "bits": 64, "kind": "pointer"},
                                    "patch": {"offset": 28, "bits": 64, "kind": "pointer"}}})
    (overlay_folder / "kernels.json").write_text(json.dumps(doc))
    with pytest.raises(BoardError, match="no pylic:hls:patch_extract:1.0 instance patch_extract_1"):
        LicOverlay(overlay_folder, pkg)
