"""The files of a training run, shared by RD training and distillation: config.json and log.jsonl (rank 0
only), atomic checkpoints that never hold non-finite weights, and the closing step every rank takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from pylic.imageio import write_file
from pylic.models.hyperprior import ScaleHyperprior
from pylic.runtime.float_backend import state_hash
from pylic.train import checkpoint as ckpt
from pylic.train.distributed import DistEnv
from pylic.train.optim import check_finite


class RunFolder:
    def __init__(self, out: str | Path, env: DistEnv):
        self.out, self.env = Path(out), env
        self.checkpoint = self.out / "checkpoint.pt"
        self._log = None

    def open(self, config: dict) -> None:
        """Write config.json and open log.jsonl for appending (rank 0)."""
        if self.env.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_file(self.out / "config.json", json.dumps(config, indent=2))
            self._log = (self.out / "log.jsonl").open("a")

    def log(self, rec: dict) -> None:
        if self._log is not None:
            self._log.write(json.dumps(rec) + "\n")
            self._log.flush()

    def save(self, model: ScaleHyperprior, payload: dict) -> None:
        """Atomic: the file holds either the old or the new checkpoint, never half of one."""
        check_finite(model)
        if self.env.is_main:
            ckpt.atomic_save({"state_dict": model.state_dict(), **payload}, self.checkpoint)

    def finish(self, model: ScaleHyperprior, start: int, steps: int, save: Callable[[int, dict], None],
               **extra) -> None:
        """Build the CDF tables, check every rank holds the same weights, save and log the end of the run."""
        model.eval()
        model.update(force=True)
        hashes = self.env.gather(state_hash(model).hex())
        if start < steps:
            save(steps, {"rank_hashes": hashes})
            self.log({"event": "done", "step": steps, "rank_hashes": hashes, "ranks_agree": len(set(hashes)) == 1,
                      **extra})

    def interrupted(self, step: int, elapsed: float, stats: dict) -> None:
        """The record a stopped run (Ctrl-C, SIGTERM) leaves beside the checkpoint it saved."""
        self.log({"event": "interrupted", "step": step, "time": elapsed, **stats})

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
