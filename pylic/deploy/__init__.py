"""The deploy package (DESIGN §2): typed manifest + integer arrays, named by content hash, validated on load."""

from pylic.deploy.manifest import FORMAT_VERSION, DeployError, Manifest, OpSpec
from pylic.deploy.store import DeployPackage, load, save

__all__ = ["FORMAT_VERSION", "DeployError", "DeployPackage", "Manifest", "OpSpec", "load", "save", "run_export"]


def run_export(*args, **kwargs):
    """See `pylic.deploy.tasks.run_export` (imported lazily: it needs the torch training graph)."""
    from pylic.deploy.tasks import run_export as impl

    return impl(*args, **kwargs)
