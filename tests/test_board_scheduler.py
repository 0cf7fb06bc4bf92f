"""The lane scheduler: ordered output, per-stage timings, errors from any thread in the caller within the
timeout with no thread left running, sequential mode, and its own overhead per patch."""

from __future__ import annotations

import threading
import time

import pytest

from pylic.board.scheduler import Plan, Scheduler, Step, overhead_per_patch, split
from pylic.errors import PipelineError, PipelineTimeoutError


def _plan(fail_at: str | None = None, fail_patch: int | None = 3, fail_lane: int | None = None, hang: bool = False):
    def make(name: str):
        def fn(job, lane):
            if name == fail_at and fail_patch in (None, job.index) and fail_lane in (None, lane):
                if hang:
                    time.sleep(0.5)
                else:
                    raise ValueError(f"boom in {name}")
            job.data.setdefault("trace", []).append((name, lane))
            time.sleep(0.001 * (job.index % 3))  # uneven work: lanes finish out of order
        return Step(name, fn)
    steps = [make(n) for n in ("in", "a", "b", "c", "out")]
    return split(steps, ["ps", "dpu", "gdn", "ps", "ps"])


def _pylic_threads():
    return [t for t in threading.enumerate() if t.name.startswith("pylic-")]


def test_split_puts_leading_and_trailing_ps_stages_outside_the_lanes():
    plan = _plan()
    assert [s.name for s in plan.head] == ["in"] and [s.name for s in plan.tail] == ["c", "out"]
    assert [s.name for s in plan.body] == ["a", "b"]


@pytest.mark.parametrize("mode,lanes", [("pipelined", 3), ("pipelined", 1), ("sequential", 3)])
def test_ordered_output_and_timings(mode, lanes):
    jobs, report = Scheduler(_plan(), lanes, mode).run({"v": i} for i in range(20))
    assert [j.data["v"] for j in jobs] == list(range(20))
    assert all([n for n, _ in j.data["trace"]] == ["in", "a", "b", "c", "out"] for j in jobs)
    body_lanes = {lane for j in jobs for n, lane in j.data["trace"] if n in ("a", "b")}
    assert body_lanes <= set(range(lanes)) and (mode == "sequential" or lanes == 1 or len(body_lanes) > 1)
    assert set(report.stage_s) == {"in", "a", "b", "c", "out"} and all(len(v) == 20 for v in report.stage_s.values())
    assert report.patches == 20 and report.wall_s > 0 and report.summary()["a"] >= 0
    assert not _pylic_threads()


@pytest.mark.parametrize("stage", ["in", "a", "b", "c", "out"])
@pytest.mark.parametrize("lane", [0, 1, 2])
def test_failure_in_any_stage_and_lane_reaches_the_caller(stage, lane):
    t0 = time.monotonic()
    with pytest.raises(PipelineError, match=f"stage {stage} failed on patch") as info:
        in_lanes = stage in ("a", "b")  # the first patch that lane `lane` runs fails; PS stages fail on patch 4
        Scheduler(_plan(stage, fail_patch=None if in_lanes else 4, fail_lane=lane if in_lanes else None), 3,
                  timeout=5).run({} for _ in range(30))
    assert isinstance(info.value.__cause__, ValueError)
    assert time.monotonic() - t0 < 2
    assert not _pylic_threads()


def test_sequential_failure_is_the_same_error():
    with pytest.raises(PipelineError, match="stage b failed on patch 3") as info:
        Scheduler(_plan("b"), mode="sequential").run({} for _ in range(5))
    assert isinstance(info.value.__cause__, ValueError)


def test_a_stage_that_blocks_past_the_timeout():
    t0 = time.monotonic()
    with pytest.raises(PipelineTimeoutError, match="within 0.1 s"):
        Scheduler(_plan("a", fail_patch=0, hang=True), 3, timeout=0.1).run({} for _ in range(6))
    assert time.monotonic() - t0 < 0.5
    time.sleep(0.6)  # the blocked stage returns; its thread sees the stop flag and ends
    assert not _pylic_threads()


def test_empty_input_and_bad_arguments():
    jobs, report = Scheduler(_plan(), 3).run([])
    assert jobs == [] and report.patches == 0
    with pytest.raises(ValueError):
        Scheduler(_plan(), 0)
    with pytest.raises(ValueError):
        Scheduler(_plan(), 3, mode="parallel")  # type: ignore[arg-type]


def test_scheduler_overhead_per_patch_is_far_below_a_millisecond():
    per_patch = overhead_per_patch(patches=600, lanes=3, stages=14)
    assert per_patch < 1e-3, f"{per_patch * 1e6:.0f} us per patch"
    assert overhead_per_patch(patches=600, mode="sequential") < per_patch + 1e-3
    assert not _pylic_threads()


def test_plan_steps_order():
    s = [Step(str(i), lambda j, k: None) for i in range(3)]
    assert Plan(tuple(s[:1]), tuple(s[1:2]), tuple(s[2:])).steps == tuple(s)
