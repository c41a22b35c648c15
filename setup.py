"""Package discovery for the one distribution; everything else is in pyproject.toml.

Why a setup.py: the subpackages are found (never listed by hand, so a new one cannot be left
out of the wheel) and the top-level ``resources/`` folder ships as the package
``stream_inspector_resources``; pyproject's ``packages.find`` cannot add a mapped folder.
"""

from __future__ import annotations

from setuptools import find_namespace_packages, find_packages, setup

RESOURCES = "stream_inspector_resources"

setup(
    packages=[
        *find_packages(include=["gui", "gui.*", "stream_core", "stream_core.*",
                                "embedded_server", "embedded_server.*"]),
        RESOURCES,
        *(f"{RESOURCES}.{name}" for name in find_namespace_packages(
            where="resources", exclude=["__pycache__", "*.__pycache__"])),
    ],
    package_dir={RESOURCES: "resources"},
)
