"""Packaging shim: everything is declared in pyproject.toml except the package list.

templates/ and resources/ sit at the top of the repository; they are added to the wheel
as the data-only packages ``graphbuilder._templates`` and ``graphbuilder._resources``
(see ``package-dir`` in pyproject.toml), which automatic package discovery cannot name.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["graphbuilder", "graphbuilder.*"])
    + ["graphbuilder._templates", "graphbuilder._resources", "graphbuilder._resources.icons"],
)
