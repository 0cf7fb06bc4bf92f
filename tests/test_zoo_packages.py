"""Publishing a deploy package into a zoo folder: copied under its short hash, named by a recipe, found again."""

import json

import pytest

from pylic.deploy import load
from pylic.errors import ModelError
from pylic.zoo.packages import publish_package, resolve_package, shipped_packages


def test_publish_and_find(tmp_path, tiny_quant, tiny_package_dir):
    pkg, folder = tiny_quant[2], tiny_package_dir  # read only: publish_package copies the folder into the zoo
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    recipe = publish_package(folder, "tiny-int8", 0.01, "tiny", {"float_model": "x"}, root=zoo)
    assert json.loads(recipe.read_text())["content_hash"] == pkg.content_hash
    found = shipped_packages(zoo)["tiny-int8"]
    assert found.model_hash == pkg.model_hash and load(found.folder).content_hash == pkg.content_hash
    assert publish_package(folder, "tiny-int8", 0.01, root=zoo) == recipe  # idempotent
    assert not list(zoo.glob(".*"))  # no temporary folder left behind
    assert resolve_package(folder) == folder
    with pytest.raises(ModelError, match="neither a shipped package"):
        resolve_package(tmp_path / "nowhere")
