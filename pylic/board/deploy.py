"""`invoke deploy`: copy an overlay, the deploy package, pylic and the notebooks to a PYNQ board over ssh/scp.

Layout on the board (`remote`, default `/home/xilinx/jupyter_notebooks/pylic`, inside PYNQ's Jupyter root):
`overlay/` (dpu.bit/.hwh/.xclbin, kernels.json, xmodels/), `package/` (manifest.json, weights.npz), `pylic/` (the
Python package, importable because notebooks run with their folder as working directory), the notebooks, and
optionally `photo.png`. The notebooks find `overlay/` and `package/` beside them and run on the board.
Every command is an argument list; paths that reach the remote shell are quoted.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from pylic.board.overlay import FILES
from pylic.errors import BoardError, ToolError

REMOTE = "/home/xilinx/jupyter_notebooks/pylic"
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PYLIC = Path(__file__).resolve().parents[1]
JUPYTER_PORT = 9090  # PYNQ images serve JupyterLab there (password: xilinx)


def deploy_commands(host: str, overlay: str | Path, package: str | Path, user: str = "xilinx",
                    remote: str = REMOTE, port: int = 22, photo: str | Path | None = None) -> list[list[str]]:
    """The ssh/scp commands, in order; checks that every local input exists first."""
    from pylic.zoo.packages import resolve_package  # noqa: PLC0415

    overlay = Path(overlay)
    missing = [f for f in FILES if not (overlay / f).is_file()]
    if missing or not (overlay / "xmodels").is_dir():
        raise BoardError(f"overlay folder {overlay} lacks {missing + ['xmodels/'] * (not (overlay / 'xmodels').is_dir())}"
                         " (build it with `invoke build-overlay` and `invoke compile-xmodel`)")
    pkg = resolve_package(package)
    if not host or host.startswith("-") or any(c.isspace() for c in host):
        raise BoardError(f"not a host name: {host!r}")
    target = f"{user}@{host}"
    q = shlex.quote
    ssh = ["ssh", "-p", str(port), target]
    cmds = [ssh + ["rm", "-rf", q(f"{remote}/overlay"), q(f"{remote}/package"), q(f"{remote}/pylic")],
            ssh + ["mkdir", "-p", q(remote)]]
    scp = ["scp", "-P", str(port), "-r", "-q"]
    copies = [(overlay, "overlay"), (pkg, "package"), (PYLIC, "pylic")]
    copies += [(nb, nb.name) for nb in sorted(NOTEBOOKS.glob("*.ipynb"))]
    if photo is not None:
        if not Path(photo).is_file():
            raise BoardError(f"photo {photo} not found")
        copies.append((Path(photo), "photo.png"))
    cmds += [scp + [str(src), f"{target}:{remote}/{dst}"] for src, dst in copies]
    return cmds


def how_to_open(host: str, remote: str = REMOTE) -> str:
    rel = remote.removeprefix("/home/xilinx/jupyter_notebooks/")
    return (f"open http://{host}:{JUPYTER_PORT}/lab/tree/{rel}/encode_decode.ipynb (PYNQ's JupyterLab, password "
            f"'xilinx'), or run `jupyter nbconvert --execute` in {remote} on the board")


def deploy(host: str, overlay: str | Path, package: str | Path, dry_run: bool = False, **options) -> list[list[str]]:
    """Run (or, with `dry_run`, only print) the deploy commands; a failing command is a `ToolError`."""
    cmds = deploy_commands(host, overlay, package, **options)
    for cmd in cmds:
        print(" ".join(shlex.quote(a) for a in cmd))
        if dry_run:
            continue
        if shutil.which(cmd[0]) is None:
            raise ToolError(f"{cmd[0]} not found on PATH (install openssh-client)")
        done = subprocess.run(cmd, check=False)
        if done.returncode:
            raise ToolError(f"{cmd[0]} exited with {done.returncode}: {' '.join(cmd)}")
    print(how_to_open(host, options.get("remote", REMOTE)))
    return cmds
