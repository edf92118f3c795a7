"""Packages and package data that pyproject.toml cannot say: the shipped weights travel inside the package.

The repository keeps them in `weights/` (one .safetensors and its JSON card each); an installed genvid
(`pip install .`, a wheel) holds them as `genvid/weights/`, where `genvid.models.registry` looks first.
"""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["genvid", "genvid.*"]) + ["genvid.weights"],
    package_dir={"genvid.weights": "weights"},
    package_data={"genvid.weights": ["*.safetensors", "*.json"]},
)
