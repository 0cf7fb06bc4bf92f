"""Knowledge distillation: the student's shape and initialisation, the loss terms, the plateau schedule,
and a few real distillation steps (resumable, logged)."""

import json
import urllib.error

import pytest
import torch

from pylic.errors import ModelError
from pylic.models.hyperprior import HyperpriorConfig, ScaleHyperprior
from pylic.train import checkpoint
from pylic.train.distill import DistillConfig, distill, train_student
from pylic.train.kd_schedule import KDSchedule, PlateauRule
from pylic.train.perceptual import LAYERS, build_perceptual, perceptual_distance
from pylic.train.student import init_student, student_config


@pytest.fixture(scope="module")
def teacher_path(tmp_path_factory):
    """A tiny 'teacher' whose latents are O(1) (a random net's are ~0.05), so latent matching is visible."""
    torch.manual_seed(1)
    t = ScaleHyperprior(HyperpriorConfig.uniform(12, 16))
    with torch.no_grad():
        t.g_a[6].weight.mul_(20.0)
    path = tmp_path_factory.mktemp("teacher") / "teacher.pt"
    torch.save(t.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def features():
    return build_perceptual("random")


def test_student_keeps_latent_and_hyperprior_widths_and_copies_the_hyperprior():
    tcfg = HyperpriorConfig(M=16, ga=(12, 12, 12), gs=(12, 12, 12), ha=(10, 9), hs=(9, 10), z=7)
    scfg = student_config(tcfg, 6)
    assert (scfg.ga, scfg.gs, scfg.M, scfg.ha, scfg.hs, scfg.z) == ((6, 6, 6), (6, 6, 6), 16, (10, 9), (9, 10), 7)
    torch.manual_seed(0)
    teacher = ScaleHyperprior(tcfg)
    with torch.no_grad():
        for p in teacher.parameters():
            p.add_(0.01)
    student = init_student(teacher, scfg)
    t = dict(teacher.named_parameters())
    for name, p in student.named_parameters():
        if name.startswith(("h_a.", "h_s.", "entropy_bottleneck.")):
            assert torch.equal(p, t[name]), name
    assert student.g_a[6].weight.shape[0] == teacher.g_a[6].weight.shape[0] == 16
    assert student.g_s[6].weight.shape[1] == 3
    with pytest.raises(ModelError):
        student_config(tcfg, 0)
    with pytest.raises(ModelError):
        init_student(teacher, HyperpriorConfig.uniform(6, 8))


def test_perceptual_is_zero_for_identical_images_and_positive_otherwise(features):
    assert LAYERS == ("layer2", "layer3", "layer4")  # the paper's ResNet-50 layers 3, 4, 5
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 64)
    y = (x + 0.05 * torch.randn_like(x)).clamp(0, 1).requires_grad_()
    assert float(perceptual_distance(features, x, x)) == 0.0
    d = perceptual_distance(features, x, y)
    assert float(d.detach()) > 0
    d.backward()
    assert y.grad is not None and float(y.grad.abs().sum()) > 0  # the student side trains through it
    assert all(not p.requires_grad for p in features.parameters()) and not features.train().training
    assert build_perceptual("none") is None


def test_perceptual_weights_offline_error_and_file(tmp_path, monkeypatch):
    from torchvision.models import ResNet50_Weights, resnet50

    def offline(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(type(ResNet50_Weights.IMAGENET1K_V2), "get_state_dict", offline)
    with pytest.raises(ModelError) as err:
        build_perceptual("imagenet")
    msg = str(err.value)
    assert "--perceptual-weights" in msg and "random" in msg and "none" in msg
    with pytest.raises(ModelError, match="not found"):
        build_perceptual("imagenet", tmp_path / "missing.pt")
    torch.save({"fc.weight": torch.zeros(2)}, tmp_path / "bad.pt")
    with pytest.raises(ModelError, match="resnet50"):
        build_perceptual("imagenet", tmp_path / "bad.pt")
    with pytest.raises(ModelError, match="one of"):
        build_perceptual("vgg")
    torch.manual_seed(3)
    net = resnet50()
    torch.save(net.state_dict(), tmp_path / "r50.pt")
    f = build_perceptual("imagenet", tmp_path / "r50.pt")
    assert torch.equal(f.layer4[0].conv1.weight, net.layer4[0].conv1.weight)


def test_schedule_switches_once_the_latent_loss_plateaus():
    sched = KDSchedule(PlateauRule(window=100, rel_tol=0.01, ema=0.98))
    assert (sched.weights.alpha, sched.weights.beta, sched.weights.gamma) == (1.0, 0.1, 0.5)
    g = torch.Generator().manual_seed(0)
    switched = []
    for step in range(1, 1501):
        value = 1.0 / (1 + 0.02 * step) if step <= 600 else 1.0 / 13
        value *= 1 + 0.01 * float(torch.randn((), generator=g))
        if sched.observe(step, value):
            switched.append(step)
    assert len(switched) == 1 and 600 < switched[0] <= 900 and sched.switched_at == switched[0]
    assert (sched.weights.alpha, sched.weights.beta, sched.weights.gamma) == (0.1, 1.0, 0.5)
    assert "plateau" in sched.reason
    clone = KDSchedule(PlateauRule(window=100))
    clone.load_state_dict(sched.state_dict())
    assert clone.phase == "late" and clone.switched_at == sched.switched_at


def test_schedule_keeps_the_early_phase_while_the_loss_falls_and_obeys_max_steps():
    sched = KDSchedule(PlateauRule(window=100, rel_tol=0.01))
    assert not any(sched.observe(s, 0.995 ** s) for s in range(1, 1001)) and sched.phase == "early"
    forced = KDSchedule(PlateauRule(window=100, max_steps=50))
    assert [s for s in range(1, 80) if forced.observe(s, 1.0 / s)] == [50] and forced.reason == "max_steps"


def _latent_mse(model: ScaleHyperprior, teacher: ScaleHyperprior, x: torch.Tensor) -> float:
    with torch.no_grad():
        return float(torch.mean((model.g_a(x) - teacher.g_a(x)) ** 2))


def test_latent_loss_falls_with_alpha_one(tmp_path, folder, teacher_path):
    from pylic.train.data import CropSampler

    cfg = DistillConfig(out=str(tmp_path / "kd"), teacher_checkpoint=str(teacher_path), data=str(folder), N=6,
                        lmbda=0.01, steps=15, batch=2, crop=64, lr=1e-2, alpha_early=1.0, beta_early=0.0,
                        gamma=0.0, perceptual="none", plateau_window=1000, ckpt_every=25)
    teacher = ScaleHyperprior.from_state_dict(torch.load(teacher_path, weights_only=True)).eval()
    torch.manual_seed(cfg.seed)
    before = init_student(teacher, student_config(teacher.cfg, 6)).eval()
    x = CropSampler(folder, crop=64, seed=123).batch(4)
    student = distill(cfg, progress=False)
    b, a = _latent_mse(before, teacher, x), _latent_mse(student, teacher, x)
    assert a < 0.5 * b, (b, a)


def test_distill_logs_the_switch_and_resumes(tmp_path, folder, teacher_path):
    out = tmp_path / "kd"
    cfg = DistillConfig(out=str(out), teacher_checkpoint=str(teacher_path), data=str(folder), N=6, lmbda=0.01,
                        steps=6, batch=1, crop=64, max_early_steps=3, perceptual="none", ckpt_every=2,
                        lr=1e-3, late_lr=1e-5, decay_every=1000)
    distill(cfg, progress=False)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    switch = [r for r in log if r.get("event") == "phase_switch"]
    assert len(switch) == 1 and switch[0]["step"] == 3 and switch[0]["weights"]["alpha"] == 0.1
    rows = [r for r in log if "phase" in r]
    assert [(r["step"], r["phase"]) for r in rows] == [(2, "early"), (4, "late"), (6, "late")]
    assert rows[0]["lr"] == 1e-3 and rows[-1]["lr"] == 1e-5 and rows[0]["beta"] == 0.0  # perceptual off
    state = checkpoint.load(out / "checkpoint.pt")
    assert state["step"] == 6 and state["schedule"]["phase"] == "late" and state["schedule"]["switched_at"] == 3
    assert json.loads((out / "config.json").read_text())["lmbda"] == 0.01
    cfg.steps = 8
    student = distill(cfg, progress=False)  # resumes at 6 in the late phase
    assert checkpoint.load(out / "checkpoint.pt")["step"] == 8
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "phase" in r][-1] == 8 and log[-1]["event"] == "done"
    assert student.cfg.ga == (6, 6, 6) and student.cfg.M == 16


def test_student_without_kd_uses_the_same_init_and_only_rd(tmp_path, folder, teacher_path):
    common = dict(teacher_checkpoint=str(teacher_path), data=str(folder), N=6, lmbda=0.01, steps=2, batch=1,
                  crop=64, perceptual="random", ckpt_every=2)
    plain = train_student(DistillConfig(out=str(tmp_path / "nokd"), **common), progress=False)
    log = [json.loads(line) for line in (tmp_path / "nokd" / "log.jsonl").read_text().splitlines()]
    assert log[0]["alpha"] == 0.0 and log[0]["beta"] == 0.0 and log[0]["perceptual"] == 0.0
    assert json.loads((tmp_path / "nokd" / "config.json").read_text())["kd"] is False
    torch.manual_seed(0)
    teacher = ScaleHyperprior.from_state_dict(torch.load(teacher_path, weights_only=True))
    init = init_student(teacher, student_config(teacher.cfg, 6))
    assert plain.cfg == init.cfg
    with pytest.raises(ModelError):
        distill(DistillConfig(out=str(tmp_path / "x"), data=str(folder)), progress=False)  # no teacher


@pytest.mark.parametrize("terms,alpha,beta", [("latent", 1.0, 0.0), ("perceptual", 0.0, 0.1),
                                              ("none", 0.0, 0.0)])
def test_kd_terms_keep_only_the_chosen_losses(tmp_path, folder, teacher_path, terms, alpha, beta):
    out = tmp_path / terms
    distill(DistillConfig(out=str(out), teacher_checkpoint=str(teacher_path), data=str(folder), N=6, lmbda=0.01,
                          steps=2, batch=1, crop=64, perceptual="random", ckpt_every=2, terms=terms), progress=False)
    row = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()][0]
    assert (row["alpha"], row["beta"], row["gamma"]) == (alpha, beta, 0.5)
    assert (row["perceptual"] > 0) == (beta > 0) and row["latent"] > 0  # the latent MSE is logged either way


def test_bad_kd_terms_and_a_relu_student(tmp_path, folder, teacher_path):
    common = dict(teacher_checkpoint=str(teacher_path), data=str(folder), N=6, lmbda=0.01, steps=1, batch=1,
                  crop=64, ckpt_every=1)
    with pytest.raises(ModelError, match="--terms"):
        distill(DistillConfig(out=str(tmp_path / "a"), terms="latent+rd", **common), progress=False)
    with pytest.raises(ModelError, match="perceptual network"):
        distill(DistillConfig(out=str(tmp_path / "b"), terms="perceptual", perceptual="none", **common),
                progress=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    gdn = distill(DistillConfig(out=str(tmp_path / "gdn"), perceptual="none", **common), progress=False)
    relu = distill(DistillConfig(out=str(tmp_path / "relu"), perceptual="none", activation="relu",
                                 init=str(tmp_path / "gdn" / "checkpoint.pt"), **common), progress=False)
    assert gdn.cfg.activation == "gdn" and relu.cfg.activation == "relu"
    assert not any("gdn" in k.lower() or "beta" in k for k in relu.g_a.state_dict())
    assert json.loads((tmp_path / "relu" / "config.json").read_text())["student"]["activation"] == "relu"


def test_a_finished_run_from_init_weights_resumes_for_more_steps(tmp_path, folder, teacher_path):
    """The finished run's checkpoint holds rebuilt CDF tables whose length differs from those the --init weights
    brought in; resuming must still load it (it failed with a size mismatch before)."""
    teacher = ScaleHyperprior.from_state_dict(torch.load(teacher_path, weights_only=True))
    start = init_student(teacher, student_config(teacher.cfg, 6))
    quantiles = start.entropy_bottleneck.quantiles.detach().clone()
    with torch.no_grad():
        start.entropy_bottleneck.quantiles.mul_(3)  # wider quantiles: longer z tables than training will build
    start.update(force=True)
    sd = start.state_dict()
    sd["entropy_bottleneck.quantiles"] = quantiles
    init = tmp_path / "init.pt"
    torch.save(sd, init)
    cfg = DistillConfig(out=str(tmp_path / "kd"), teacher_checkpoint=str(teacher_path), data=str(folder), N=6,
                        lmbda=0.01, steps=2, batch=1, crop=64, perceptual="none", ckpt_every=2, lr=1e-2,
                        init=str(init))
    first = distill(cfg, progress=False).state_dict()["entropy_bottleneck._quantized_cdf"]
    assert first.shape != sd["entropy_bottleneck._quantized_cdf"].shape
    cfg.steps = 3
    distill(cfg, progress=False)
    assert checkpoint.load(tmp_path / "kd" / "checkpoint.pt")["step"] == 3


def test_ctrl_c_saves_the_completed_steps(tmp_path, folder, teacher_path, monkeypatch):
    import pylic.train.distill as kd

    calls = {"n": 0}
    real_step = kd.train_step

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    monkeypatch.setattr(kd, "train_step", interrupted)
    cfg = DistillConfig(out=str(tmp_path / "kd"), teacher_checkpoint=str(teacher_path), data=str(folder), N=4,
                        lmbda=0.01, steps=10, batch=1, crop=64, perceptual="none", ckpt_every=100)
    with pytest.raises(KeyboardInterrupt):
        distill(cfg, progress=False)
    state = checkpoint.load(tmp_path / "kd" / "checkpoint.pt")
    assert state["step"] == 2 and state["schedule"]["seen"] == 2
