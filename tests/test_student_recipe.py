"""The student recipe runs end to end (16-aligned cut -> KD -> cut -> KD -> PTQ/QAT -> package -> emulator) and
its report holds real, consistent numbers: widths in whole DPU channel groups, fewer DPU cycles than the
teacher, a package that codes images deterministically."""

from __future__ import annotations

import json

import pytest
import torch

from pylic.errors import ModelError
from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.train.recipe import StudentRecipe, run_recipe
from tests.conftest import write_crops


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory, photo):
    """Three 256x288 crops: calibration needs whole 256x256 patches."""
    return write_crops(tmp_path_factory.mktemp("imgs256"), photo, (256, 288), (60, 50))


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    torch.manual_seed(3)
    t = ScaleHyperprior(HyperpriorConfig.uniform(32, 16))
    d = tmp_path_factory.mktemp("teacher32")
    torch.save(t.state_dict(), d / "teacher.pt")
    (d / "config.json").write_text(json.dumps({"lmbda": 0.01}))
    return d / "teacher.pt"


def test_recipe_runs_end_to_end(tmp_path, big_folder, teacher):
    r = StudentRecipe(out=str(tmp_path / "r"), teacher=None, teacher_checkpoint=str(teacher), widths=(32, 16),
                      data=str(big_folder), eval_data=str(big_folder), distill_steps=(2, 3), batch=1, crop=64,
                      perceptual="none", calib=2, threads=1)
    rep = run_recipe(r, progress=False)
    first, second = rep["stages"]
    assert first["distilled"]["widths"] == [32, 32, 32] and second["distilled"]["widths"] == [16, 16, 16]
    assert first["distilled"]["dpu_cycles_720p"] == rep["teacher"]["dpu_cycles_720p"]  # 32 of 32: no cut
    assert rep["student"]["dpu_cycles_720p"] < rep["teacher"]["dpu_cycles_720p"]
    assert second["cut"]["dpu_cycles_reduction"] > 0 and set(second["cut"]["widths"].values()) == {16}
    assert rep["emulator"]["deterministic"] and rep["emulator"]["bpp"] > 0 and rep["emulator"]["images"] == 1
    assert json.loads((tmp_path / "r" / "recipe.json").read_text())["student"] == rep["student"]
    kd = json.loads((tmp_path / "r" / "kd16" / "config.json").read_text())
    assert kd["init"].endswith("cut16/checkpoint.pt") and kd["N"] == 16 and kd["steps"] == 3
    man = json.loads((tmp_path / "r" / "package").glob("*/manifest.json").__next__().read_text())
    assert man["pixels"]["output_offset"] == 128 and man["config"]["ga"] == [16, 16, 16]
    assert json.loads((tmp_path / "r" / "quant" / "summary.json").read_text())["weights"] == "mse"


def test_recipe_refuses_widths_that_are_not_whole_channel_groups(tmp_path, teacher):
    for widths in ((40,), (32, 48), (64,)):
        with pytest.raises(ModelError, match="multiple of 16"):
            run_recipe(StudentRecipe(out=str(tmp_path / "x"), teacher=None, teacher_checkpoint=str(teacher),
                                     widths=widths), progress=False)
    with pytest.raises(ModelError, match="one per width"):
        run_recipe(StudentRecipe(out=str(tmp_path / "x"), teacher=None, teacher_checkpoint=str(teacher),
                                 widths=(32, 16), distill_steps=(5,)), progress=False)
    assert not (tmp_path / "x").exists()
