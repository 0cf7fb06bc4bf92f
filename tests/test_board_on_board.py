"""On a PYNQ board with the pylic overlay only (marker `board`; skipped elsewhere): the overlay's pipelined and
sequential codecs write the bytes a host wrote for the same image (`PYLIC_EXPECTED_PLIC`, made on the host with
`open_codec(package).encode`), and decode them back to the host's pixels (`PYLIC_EXPECTED_PNG`).

    PYLIC_OVERLAY=overlay PYLIC_PACKAGE=package PYLIC_IMAGE=photo.png PYLIC_EXPECTED_PLIC=photo.plic \\
    PYLIC_EXPECTED_PNG=photo_decoded.png python -m pytest -m board tests/test_board_on_board.py
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.board,
              pytest.mark.skipif("PYLIC_OVERLAY" not in os.environ, reason="needs a PYNQ board (set PYLIC_OVERLAY)")]


def test_board_writes_the_host_bytes():
    from pylic.board.session import open_session
    from pylic.imageio import read_image

    session = open_session(os.environ["PYLIC_PACKAGE"], overlay=os.environ["PYLIC_OVERLAY"])
    image = read_image(os.environ["PYLIC_IMAGE"])
    expected = Path(os.environ["PYLIC_EXPECTED_PLIC"]).read_bytes()
    for mode in ("pipelined", "sequential"):
        assert session.codec(mode).encode(image) == expected, mode
    decoded = session.codec("pipelined").decode(expected)
    np.testing.assert_array_equal(decoded, read_image(os.environ["PYLIC_EXPECTED_PNG"]))
