"""The CPU-sized student recipe runs end to end (distil -> 16-aligned prune -> PTQ -> package -> emulator) and
its report holds real, consistent numbers: widths in whole DPU channel groups, fewer DPU cycles than the
teacher, a package that codes images deterministically."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from pylic.errors import ModelError
from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.train.recipe import StudentRecipe, run_recipe


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory, photo):
    """Three 256x288 crops: calibration needs whole 256x256 patches."""
    d = tmp_path_factory.mktemp("imgs256")
    for i in range(3):
        Image.fromarray(photo[i * 60: i * 60 + 256, i * 50: i * 50 + 288]).save(d / f"{i}.png")
    return d


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    torch.manual_seed(3)
    t = ScaleHyperprior(HyperpriorConfig.uniform(32, 16))
    d = tmp_path_factory.mktemp("teacher32")
    torch.save(t.state_dict(), d / "teacher.pt")
    (d / "config.json").write_text(json.dumps({"lmbda": 0.01}))
    return d / "teacher.pt"


def test_recipe_runs_end_to_end(tmp_path, big_folder, teacher):
    r = StudentRecipe(out=str(tmp_path / "r"), teacher=None, teacher_checkpoint=str(teacher), N=32,
                      data=str(big_folder), eval_data=str(big_folder), distill_steps=2, batch=1, crop=64,
                      perceptual="none", finetune_steps=1, calib=2, threads=1)
    rep = run_recipe(r, progress=False)
    assert rep["distilled"]["widths"] == [32, 32, 32] and rep["pruned"]["widths"] == [16, 16, 16]
    assert rep["pruned"]["dpu_cycles_720p"] < rep["distilled"]["dpu_cycles_720p"] == rep["teacher"]["dpu_cycles_720p"]
    assert rep["prune_final"]["dpu_cycles_reduction"] > 0
    assert rep["emulator"]["deterministic"] and rep["emulator"]["bpp"] > 0 and rep["emulator"]["images"] == 1
    assert json.loads((tmp_path / "r" / "recipe.json").read_text())["pruned"] == rep["pruned"]
    man = json.loads((tmp_path / "r" / "package").glob("*/manifest.json").__next__().read_text())
    assert man["pixels"]["output_offset"] == 128 and man["config"]["ga"] == [16, 16, 16]


def test_recipe_refuses_widths_that_are_not_whole_channel_groups(tmp_path):
    with pytest.raises(ModelError, match="multiple"):
        run_recipe(StudentRecipe(out=str(tmp_path), N=40), progress=False)
