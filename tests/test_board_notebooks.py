"""The board notebooks run end to end in host mode (no overlay beside them), as CI executes them."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("name", ["encode_decode.ipynb", "pipeline.ipynb"])  # ~7 s each (idle machine)
def test_notebook_runs_in_host_mode(name, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "mode: HOST" in text
    if name == "encode_decode.ipynb":
        assert "bpp, PSNR" in text and "frames/s" in text and "y_encode" in text
    else:
        assert "speed-up pipelined / sequential" in text
