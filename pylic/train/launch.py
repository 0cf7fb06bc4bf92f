"""Command line for the training loops, made for `torchrun` (works as plain `python -m` too):

    torchrun --standalone --nproc_per_node 2 -m pylic.train.launch distill --teacher pylic-hp-q2 --out runs/kd
    torchrun --standalone --nproc_per_node 2 -m pylic.train.launch student --teacher pylic-hp-q2 --out runs/nokd
    torchrun --standalone --nproc_per_node 2 -m pylic.train.launch rd --out runs/rd --steps 1000

Every option is a field of `DistillConfig` (distill, student) or `TrainConfig` (rd), spelled with dashes.
`launch_argv` turns a config back into these arguments, so `invoke distill --nproc 2` can spawn torchrun.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import typing

from pylic.errors import PylicError
from pylic.train.distill import DistillConfig, distill, train_student
from pylic.train.distributed import init_distributed, shutdown
from pylic.train.rd import TrainConfig
from pylic.train.rd import train as train_rd

COMMANDS = {"distill": DistillConfig, "student": DistillConfig, "rd": TrainConfig}
RUNNERS = {"distill": distill, "student": train_student, "rd": train_rd}


def _scalar_type(cls: type, name: str) -> type:
    hint = typing.get_type_hints(cls)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def _add_fields(parser: argparse.ArgumentParser, cls: type) -> None:
    for f in dataclasses.fields(cls):
        t = _scalar_type(cls, f.name)
        flag = "--" + f.name.replace("_", "-")
        if t is dict:
            continue
        if t is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=f.default)
        elif f.default is dataclasses.MISSING:
            parser.add_argument(flag, dest=f.name, type=t, required=True)
        else:
            parser.add_argument(flag, dest=f.name, type=t, default=f.default)


def parse(argv: list[str]) -> tuple[str, object, bool, bool]:
    parser = argparse.ArgumentParser(prog="python -m pylic.train.launch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, cls in COMMANDS.items():
        p = sub.add_parser(name)
        _add_fields(p, cls)
        p.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint")
        p.add_argument("--no-progress", action="store_true")
    ns = vars(parser.parse_args(argv))
    command, fresh, quiet = ns.pop("command"), ns.pop("no_resume"), ns.pop("no_progress")
    return command, COMMANDS[command](**ns), not fresh, not quiet  # type: ignore[return-value]


def launch_argv(command: str, cfg: object) -> list[str]:
    """`cfg` as command-line arguments for `command` (the inverse of `parse`)."""
    args = [command]
    for f in dataclasses.fields(cfg):  # type: ignore[arg-type]
        value = getattr(cfg, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + f.name.replace("_", "-"))
        elif value is not None and not isinstance(value, dict):
            args += [flag, str(value)]
    return args


def run_training(command: str, cfg: object, nproc: int = 1, resume: bool = True, progress: bool = True) -> None:
    """Run `command` here (nproc 1) or as `nproc` data-parallel processes under torchrun (gloo on CPU)."""
    if command not in COMMANDS:
        raise PylicError(f"unknown training command {command!r}; one of {', '.join(COMMANDS)}")
    if nproc < 1:
        raise PylicError(f"nproc must be >= 1, got {nproc}")
    if nproc == 1:
        env = init_distributed(getattr(cfg, "device", "cpu"))
        RUNNERS[command](cfg, resume, progress, env)  # type: ignore[operator]
        return
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
            "-m", "pylic.train.launch", *launch_argv(command, cfg)]
    args += [] if resume else ["--no-resume"]
    args += [] if progress else ["--no-progress"]
    rc = subprocess.call(args)
    if rc:
        raise PylicError(f"torchrun exited with status {rc}: {' '.join(args)}")


def main(argv: list[str] | None = None) -> int:
    command, cfg, resume, progress = parse(sys.argv[1:] if argv is None else argv)
    env = init_distributed(getattr(cfg, "device", "cpu"))
    try:
        RUNNERS[command](cfg, resume, progress, env)  # type: ignore[operator]
    except PylicError as exc:
        print(f"error (rank {env.rank}): {exc}", file=sys.stderr)
        return 2
    finally:
        shutdown(env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
