"""Packaging hook (everything else is in pyproject.toml): the top-level hls/ folder, the source of truth of the
HLS templates and headers, goes into the wheel as the data package `pylic.hls_files`, so a plain
`pip install .` can `gen-hls` from any directory (`pylic.hls.render.hls_dir` finds it)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["pylic*"]), "pylic.hls_files"],
    package_dir={"pylic.hls_files": "hls"},  # its package data (templates, headers): pyproject.toml
)
