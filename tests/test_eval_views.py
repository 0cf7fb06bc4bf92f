"""Readable evaluation output: MS-SSIM via pytorch-msssim, CSV and RD plot PNG beside the JSON reports."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from PIL import Image

from pylic.eval.metrics import ms_ssim
from pylic.eval.plots import COMPRESSAI_HYPERPRIOR_KODAK, rd_plot, write_csv
from pylic.eval.report import rd_report

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_ms_ssim_orders_jpeg_qualities(photo):
    img = photo[:256, :256]

    def jpeg(q: int) -> np.ndarray:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=q)
        return np.array(Image.open(buf))

    assert ms_ssim(img, img) == pytest.approx(1.0)
    lo, hi = ms_ssim(img, jpeg(10)), ms_ssim(img, jpeg(80))
    assert 0.5 < lo < hi < 1.0
    assert np.isnan(ms_ssim(img[:100, :100], img[:100, :100]))  # under 161 px: five scales do not fit


def test_csv_and_plot(tmp_path):
    path = write_csv([{"curve": "c", "point": "p", "bpp": 0.5, "psnr": 30.0, "extra": 1}], tmp_path / "r.csv")
    rows = list(csv.DictReader(path.open()))
    assert rows[0]["bpp"] == "0.5" and rows[0]["ms_ssim"] == ""
    png = rd_plot({"pylic": [(0.2, 28.0), (0.5, 31.0)]}, {"JPEG": [(0.3, 25.0), (0.8, 30.0)]}, tmp_path / "r.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(COMPRESSAI_HYPERPRIOR_KODAK) == 8


def test_rd_report_writes_csv_and_png(tmp_path, photo, tiny_package_dir):
    images = {"a": np.ascontiguousarray(photo[:192, :192])}
    rep = rd_report(images, [str(tiny_package_dir)], out=tmp_path / "rd.json", echo=lambda s: None)
    rows = list(csv.DictReader((tmp_path / "rd.csv").open()))
    tiled = [r for r in rows if r["curve"] == "pylic tiled"]
    assert float(tiled[0]["psnr"]) == pytest.approx(rep["models"][str(tiny_package_dir)]["tiled"]["psnr"])
    assert 0 < float(tiled[0]["ms_ssim"]) <= 1
    assert {r["curve"] for r in rows} >= {"jpeg", "jpeg2000"}
    assert (tmp_path / "rd.png").stat().st_size > 5_000
