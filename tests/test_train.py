import json

import numpy as np
import pytest
import torch

from pylic.codec import Codec
from pylic.errors import PylicError
from pylic.runtime import TorchBackend
from pylic.train import checkpoint
from pylic.train.data import CropSampler, Prefetcher
from pylic.train.rd import TrainConfig, lr_at, train
from pylic.zoo.publish import publish_run


def test_sampler_is_deterministic(folder):
    a = CropSampler(folder, crop=64, seed=3).batch(4)
    b = CropSampler(folder, crop=64, seed=3).batch(4)
    assert a.shape == (4, 3, 64, 64) and torch.equal(a, b) and 0 <= a.min() and a.max() <= 1


def test_prefetcher_gives_the_inline_sequence_and_raises_the_samplers_errors(folder):
    inline = CropSampler(folder, crop=64, seed=5)
    expected = [inline.batch(3) for _ in range(5)]
    with Prefetcher(CropSampler(folder, crop=64, seed=5), 3, depth=2) as ahead:
        got = [ahead.batch() for _ in range(5)]
    assert all(torch.equal(a, b) for a, b in zip(expected, got))
    broken = CropSampler(folder, crop=64, seed=5)
    broken.images = []  # the next crop fails inside the producer thread
    with Prefetcher(broken, 3) as ahead, pytest.raises(ValueError):
        ahead.batch()
    with pytest.raises(PylicError, match="depth"):
        Prefetcher(inline, 3, depth=0)


def test_prefetched_training_equals_inline_training(tmp_path, folder):
    """The background cropper changes where batches are made, not which: the weights agree bit for bit."""
    models = []
    for prefetch in (0, 3):
        cfg = TrainConfig(out=str(tmp_path / f"p{prefetch}"), data=str(folder), N=8, M=16, steps=4, batch=2,
                          crop=64, lmbda=0.01, lr=1e-3, prefetch=prefetch, threads=1)
        models.append(train(cfg, progress=False).state_dict())
    assert all(torch.equal(v, models[1][k]) for k, v in models[0].items())


def test_init_by_registry_name(tmp_path, folder):
    from pylic.models.registry import load_model

    cfg = TrainConfig(out=str(tmp_path / "ft"), data=str(folder), steps=0, batch=2, crop=64, init="pylic-hp-q1")
    model = train(cfg, progress=False)
    ref = load_model("pylic-hp-q1")
    assert model.cfg == ref.cfg and torch.equal(model.g_a[0].weight, ref.g_a[0].weight)
    with pytest.raises(PylicError, match="not found"):
        train(TrainConfig(out=str(tmp_path / "x"), data=str(folder), steps=0, init="no-such-model"), progress=False)


def test_train_resume_and_publish(tmp_path, folder, photo):
    cfg = TrainConfig(out=str(tmp_path / "run"), data=str(folder), N=8, M=16, steps=6, batch=2, crop=64,
                      ckpt_every=3, lmbda=0.01, lr=1e-3)
    train(cfg, progress=False)
    state = checkpoint.load(tmp_path / "run" / "checkpoint.pt")
    assert state["step"] == 6
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [3, 6]
    assert log[-1]["event"] == "done" and log[-1]["ranks_agree"]
    cfg.steps = 9
    model = train(cfg, progress=False)  # resumes at 6, runs 3 more
    assert checkpoint.load(tmp_path / "run" / "checkpoint.pt")["step"] == 9
    data = Codec(TorchBackend(model, "t")).encode(photo[:64, :64])
    assert len(data) > 0
    out_dir = tmp_path / "zoo"
    out_dir.mkdir()
    import pylic.zoo.export as export

    weights = export.export_model(model, "tiny-test", 0.01, {"note": "test"}, out_dir=out_dir)
    meta = json.loads((out_dir / "tiny-test.json").read_text())
    assert meta["config"]["M"] == 16 and len(meta["hash"]) == 32 and weights.stat().st_size > 0


def test_training_reduces_the_loss(tmp_path, folder):
    """40 steps on three photographs: the RD loss falls well below its starting value."""
    cfg = TrainConfig(out=str(tmp_path / "r"), data=str(folder), N=8, M=16, steps=40, batch=4, crop=64,
                      ckpt_every=10, lmbda=0.01, lr=3e-3)
    train(cfg, progress=False)
    records = [json.loads(line) for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in records if "loss" in r]
    assert losses[-1] < 0.7 * losses[0]


def test_lr_schedule_is_step_decay():
    cfg = TrainConfig(out="x", data="y", lr=1e-3, decay_every=100, decay_rate=0.9)
    assert lr_at(cfg, 99) == 1e-3 and np.isclose(lr_at(cfg, 250), 1e-3 * 0.81)


def test_missing_data_and_bad_run_are_clear_errors(tmp_path):
    with pytest.raises(PylicError, match="not found"):
        CropSampler(tmp_path / "none")
    with pytest.raises(PylicError, match="not a training run"):
        publish_run(tmp_path, "x")


def test_sigterm_saves_a_resumable_checkpoint(tmp_path, folder):
    """A training process stopped by SIGTERM leaves a complete checkpoint at its last finished step."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    code = (f"from pylic.train.rd import TrainConfig, train\n"
            f"train(TrainConfig(out={str(out)!r}, data={str(folder)!r}, N=8, M=16, steps=100000, batch=2, "
            f"crop=64, ckpt_every=5), progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (out / "log.jsonl").exists() or not (out / "log.jsonl").read_text():
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    state = checkpoint.load(out / "checkpoint.pt")
    assert state["step"] >= 5
    last = json.loads((out / "log.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "interrupted" and last["step"] == state["step"]
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]


def test_init_keeps_the_widths_of_pruned_weights(tmp_path, folder):
    """Fine-tuning a pruned model (non-uniform widths) to another lambda starts from exactly its weights."""
    from pylic.models import HyperpriorConfig, ScaleHyperprior

    torch.manual_seed(0)
    pruned = ScaleHyperprior(HyperpriorConfig(M=16, ga=(8, 6, 7), gs=(7, 5, 8), ha=(8, 8), hs=(8, 8), z=8))
    torch.save({"state_dict": pruned.state_dict()}, tmp_path / "pruned.pt")
    cfg = TrainConfig(out=str(tmp_path / "ft"), data=str(folder), N=99, M=99, steps=0, batch=2, crop=64,
                      init=str(tmp_path / "pruned.pt"))
    model = train(cfg, progress=False)
    assert model.cfg == pruned.cfg
    ref = pruned.state_dict()
    same_shape = [k for k, v in model.state_dict().items() if k in ref and v.shape == ref[k].shape]
    assert [k for k in same_shape if not torch.equal(model.state_dict()[k], ref[k])] == []  # CDF tables are rebuilt


def test_a_nan_batch_is_skipped_and_divergence_stops_without_saving(tmp_path, folder, monkeypatch):
    """One NaN batch leaves the weights finite and the run going; NaN batches only is a TrainingError, and the
    checkpoint on disk stays the last good one."""
    from pylic.errors import TrainingError
    from pylic.train import optim

    cfg = TrainConfig(out=str(tmp_path / "n"), data=str(folder), N=8, M=16, steps=6, batch=2, crop=64,
                      ckpt_every=3, lmbda=0.01, lr=1e-3)
    real = CropSampler.batch
    calls = {"n": 0}

    def poisoned(self, n):
        calls["n"] += 1
        x = real(self, n)
        return x * float("nan") if calls["n"] in bad else x

    monkeypatch.setattr(CropSampler, "batch", poisoned)
    bad = {2}
    model = train(cfg, progress=False)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert checkpoint.load(tmp_path / "n" / "checkpoint.pt")["step"] == 6
    good = checkpoint.load(tmp_path / "n" / "checkpoint.pt")["state_dict"]
    bad = set(range(1, 1000))
    cfg.steps = 6 + optim.MAX_BAD_STEPS + 5
    with pytest.raises(TrainingError, match="diverged"):
        train(cfg, progress=False)
    after = checkpoint.load(tmp_path / "n" / "checkpoint.pt")
    assert after["step"] == 6 and all(torch.equal(after["state_dict"][k], v) for k, v in good.items())
