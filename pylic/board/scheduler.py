"""The lane scheduler: patches flow through `lanes` worker threads (one per DPU core on the board), with the
leading PS stages (pixel conversion, z decoding) run ahead by a feeder thread and the trailing PS stages
(y coding, pixel output) by a drain thread, so PS work overlaps lane work (paper Fig. 7).

Pure Python and hardware-agnostic: a stage is a name and a function `fn(job, lane)`. What it does (a VART
runner, an HLS kernel, the emulator) is the caller's business. Guarantees:
- bounded queues (a slow stage back-pressures the feeder, memory stays O(lanes));
- ordered output (results by patch index, whatever lane finished first);
- per-stage timings for every patch;
- the first error in any thread stops every thread and is raised in the caller as `PipelineError` (stage,
  patch, lane named, cause chained) within `timeout`; every thread the run started has ended when `run` returns,
  unless a stage itself blocks forever (then `PipelineTimeoutError`; the thread is a daemon and exits as soon as
  that stage returns);
- `sequential` mode: no threads, every stage of a patch one after another in the caller (the ablation).
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Sequence

from pylic.errors import PipelineError, PipelineTimeoutError

Mode = Literal["pipelined", "sequential"]
POLL_S = 0.02  # how often a blocked thread looks at the stop flag
_DONE = object()


@dataclass
class Job:
    """One patch on its way through the stages: `data` holds its tensors, `times` seconds per stage."""

    index: int
    data: dict[str, Any]
    times: dict[str, float] = field(default_factory=dict)
    lane: int = -1


@dataclass(frozen=True)
class Step:
    name: str
    fn: Callable[[Job, int], None]


@dataclass(frozen=True)
class Plan:
    """Stages split by where they run: `head` in the feeder, `body` in the lanes, `tail` in the drain."""

    head: tuple[Step, ...]
    body: tuple[Step, ...]
    tail: tuple[Step, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.head + self.body + self.tail


@dataclass
class RunReport:
    mode: str
    lanes: int
    patches: int
    wall_s: float
    stage_s: dict[str, list[float]]  # per stage, one duration per patch (in patch order)

    def summary(self) -> dict[str, float]:
        """Mean milliseconds per patch of each stage."""
        return {k: 1e3 * sum(v) / len(v) for k, v in self.stage_s.items() if v}

    @property
    def fps_patches(self) -> float:
        return self.patches / self.wall_s if self.wall_s > 0 else float("inf")


class _Run:
    """State shared by the threads of one pipelined run."""

    def __init__(self, n: int, depth: int):
        self.stop = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.where = ""
        self.lock = threading.Lock()
        self.lane_q: queue.Queue = queue.Queue(depth)
        self.tail_q: queue.Queue = queue.Queue(depth)
        self.results: list[Job | None] = [None] * n
        self.finished = 0

    def fail(self, exc: BaseException, where: str) -> None:
        with self.lock:
            if self.error is None:
                self.error, self.where = exc, where
        self.stop.set()

    def put(self, q: queue.Queue, item: object) -> bool:
        while not self.stop.is_set():
            try:
                q.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def get(self, q: queue.Queue) -> object:
        while not self.stop.is_set():
            try:
                return q.get(timeout=POLL_S)
            except queue.Empty:
                continue
        return _DONE


def _apply(steps: Sequence[Step], job: Job, lane: int) -> None:
    job.lane = lane
    for step in steps:
        t0 = time.perf_counter()
        try:
            step.fn(job, lane)
        except BaseException as exc:
            raise _StageFailed(step.name, job.index, lane) from exc
        job.times[step.name] = time.perf_counter() - t0


class _StageFailed(Exception):
    def __init__(self, stage: str, index: int, lane: int):
        super().__init__(f"stage {stage} failed on patch {index} (lane {lane})")


def _guard(run: _Run, name: str, body: Callable[[], None]) -> Callable[[], None]:
    def target() -> None:
        try:
            body()
        except _StageFailed as exc:
            run.fail(exc.__cause__ or exc, str(exc))
        except BaseException as exc:  # a bug in the scheduler itself must not hang the caller either
            run.fail(exc, f"{name} thread")
    return target


class Scheduler:
    """Runs a `Plan` over jobs; `run(inputs)` returns the jobs in input order and a `RunReport`."""

    def __init__(self, plan: Plan, lanes: int = 3, mode: Mode = "pipelined", depth: int | None = None,
                 timeout: float = 600.0):
        if lanes < 1:
            raise ValueError(f"lanes must be >= 1, got {lanes}")
        if mode not in ("pipelined", "sequential"):
            raise ValueError(f"mode must be 'pipelined' or 'sequential', got {mode!r}")
        self.plan, self.lanes, self.mode, self.timeout = plan, lanes, mode, timeout
        self.depth = depth if depth is not None else 2 * lanes

    def run(self, inputs: Iterable[dict[str, Any]]) -> tuple[list[Job], RunReport]:
        jobs = [Job(i, dict(d)) for i, d in enumerate(inputs)]
        t0 = time.perf_counter()
        if self.mode == "sequential" or not jobs:
            for job in jobs:
                try:
                    _apply(self.plan.steps, job, 0)
                except _StageFailed as exc:
                    raise PipelineError(str(exc)) from exc.__cause__
            done = jobs
        else:
            done = self._pipelined(jobs)
        wall = time.perf_counter() - t0
        stage_s = {s.name: [j.times[s.name] for j in done if s.name in j.times] for s in self.plan.steps}
        return done, RunReport(self.mode, 1 if self.mode == "sequential" else self.lanes, len(done), wall, stage_s)

    def _pipelined(self, jobs: list[Job]) -> list[Job]:
        run = _Run(len(jobs), self.depth)
        plan = self.plan

        def feeder() -> None:
            for job in jobs:
                _apply(plan.head, job, -1)
                if not run.put(run.lane_q, job):
                    return
            for _ in range(self.lanes):
                run.put(run.lane_q, _DONE)

        def lane(k: int) -> Callable[[], None]:
            def body() -> None:
                while (job := run.get(run.lane_q)) is not _DONE:
                    _apply(plan.body, job, k)  # type: ignore[arg-type]
                    if not run.put(run.tail_q, job):
                        return
            return body

        def drain() -> None:
            while run.finished < len(jobs) and (job := run.get(run.tail_q)) is not _DONE:
                _apply(plan.tail, job, job.lane)  # type: ignore[union-attr]
                run.results[job.index] = job  # type: ignore[union-attr]
                run.finished += 1
            if run.finished == len(jobs):
                run.done.set()

        threads = [threading.Thread(target=_guard(run, "feeder", feeder), name="pylic-feeder", daemon=True)]
        threads += [threading.Thread(target=_guard(run, f"lane {k}", lane(k)), name=f"pylic-lane{k}", daemon=True)
                    for k in range(self.lanes)]
        threads.append(threading.Thread(target=_guard(run, "drain", drain), name="pylic-drain", daemon=True))
        deadline = time.monotonic() + self.timeout
        try:
            for t in threads:
                t.start()
            while not (run.done.is_set() or run.stop.is_set()) and time.monotonic() < deadline:
                run.done.wait(POLL_S)
            timed_out = not run.done.is_set() and not run.stop.is_set()
        finally:  # also on KeyboardInterrupt in the caller: every thread is told to stop and joined
            run.stop.set()
            for t in threads:
                if t.is_alive():
                    t.join(max(0.0, deadline - time.monotonic()) + 5 * POLL_S)
        if run.error is not None:
            raise PipelineError(run.where) from run.error
        if timed_out:
            alive = [t.name for t in threads if t.is_alive()]
            raise PipelineTimeoutError(f"pipeline did not finish within {self.timeout} s (still running: {alive})")
        return run.results  # type: ignore[return-value]


def split(steps: Sequence[Step], units: Sequence[str]) -> Plan:
    """Leading and trailing `ps` stages go to the feeder and the drain; everything between runs in the lanes."""
    n = len(steps)
    lo = 0
    while lo < n and units[lo] == "ps":
        lo += 1
    hi = n
    while hi > lo and units[hi - 1] == "ps":
        hi -= 1
    return Plan(tuple(steps[:lo]), tuple(steps[lo:hi]), tuple(steps[hi:]))


def overhead_per_patch(patches: int = 1000, lanes: int = 3, stages: int = 14, mode: Mode = "pipelined") -> float:
    """Seconds the scheduler itself spends per patch: a run whose stages do nothing, divided by the patches."""
    noop = tuple(Step(f"s{i}", lambda job, lane: None) for i in range(stages))
    plan = Plan(noop[:1], noop[1:-1], noop[-1:])
    _, report = Scheduler(plan, lanes, mode).run({} for _ in range(patches))
    return report.wall_s / patches
