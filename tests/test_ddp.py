"""DistributedDataParallel under torchrun: two CPU processes on gloo see different data, end with identical
weights (gradients averaged, auxiliary quantile gradients too), and only rank 0 writes."""

import json
import subprocess
import sys

import pytest
import torch

from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.models.registry import load_checkpoint_state
from pylic.runtime.float_backend import state_hash
from pylic.train import checkpoint
from pylic.train.distill import DistillConfig
from pylic.train.distributed import rank_seed
from pylic.train.launch import launch_argv, parse, run_training
from pylic.train.rd import TrainConfig

torch_distributed = pytest.importorskip("torch.distributed")
pytestmark = pytest.mark.skipif(not torch_distributed.is_gloo_available(), reason="torch built without gloo")


def _check_run(out, steps: int) -> None:
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    done = log[-1]
    assert done["event"] == "done" and done["ranks_agree"] and len(done["rank_hashes"]) == 2
    assert len([r for r in log if r.get("event") == "done"]) == 1  # one writer: rank 0
    state = checkpoint.load(out / "checkpoint.pt")
    assert state["step"] == steps and state["rank_hashes"] == done["rank_hashes"]
    model = ScaleHyperprior.from_state_dict(load_checkpoint_state(out / "checkpoint.pt"))
    assert state_hash(model).hex() == done["rank_hashes"][0]  # the file holds what the ranks hold
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "config.json", "log.jsonl"]


def test_rank_seeds_differ_per_rank_and_resume_point():
    seeds = {rank_seed(0, r, s) for r in range(4) for s in (0, 100)}
    assert len(seeds) == 8 and rank_seed(0, 1, 100) == rank_seed(0, 1, 100)


def test_launch_arguments_round_trip():
    cfg = DistillConfig(out="o", teacher="t", N=5, kd=False, perceptual="none", plateau_tol=0.5)
    command, back, resume, progress = parse(launch_argv("student", cfg))
    assert command == "student" and back == cfg and resume and progress


def test_distill_on_two_ranks_keeps_the_ranks_identical(tmp_path, folder):
    torch.manual_seed(1)
    teacher = ScaleHyperprior(HyperpriorConfig.uniform(8, 16))
    torch.save(teacher.state_dict(), tmp_path / "teacher.pt")
    out = tmp_path / "kd"
    cfg = DistillConfig(out=str(out), teacher_checkpoint=str(tmp_path / "teacher.pt"), data=str(folder), N=4,
                        lmbda=0.01, steps=3, batch=1, crop=64, perceptual="random", ckpt_every=3, threads=1)
    run_training("distill", cfg, nproc=2, progress=False)  # the `invoke distill --nproc 2` path
    _check_run(out, 3)
    assert json.loads((out / "config.json").read_text())["world_size"] == 2


@pytest.mark.slow
def test_rd_training_on_two_ranks(tmp_path, folder):
    out = tmp_path / "rd"
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            "-m", "pylic.train.launch", *launch_argv("rd", TrainConfig(out=str(out), data=str(folder), N=4, M=8,
                                                                       steps=4, batch=1, crop=64, ckpt_every=2,
                                                                       threads=1)), "--no-progress"]
    subprocess.run(args, check=True, timeout=300)
    _check_run(out, 4)
