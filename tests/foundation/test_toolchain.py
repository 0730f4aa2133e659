"""The toolchain the README promises, kept by a test.

- Every third-party module the apps import comes from a distribution ``pyproject.toml`` declares
  (the runtime set; ``if TYPE_CHECKING:`` imports may also come from the dev extra), and every
  one the tests and benchmarks import from the runtime set or the dev extra. A package that is
  only there because something else happens to depend on it can disappear with that dependency.
- The lock files (``requirements/base.txt``, ``requirements/dev.txt``, written by ``make lock``)
  pin every package exactly, every declared dependency within its declared range, and the
  environment the suite runs in holds exactly the locked versions.
"""

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "cms", "deliberation", "demo", "meetings", "votes")
SUPPORT = ("tests", "bench")
LOCK_BASE = ROOT / "requirements" / "base.txt"
LOCK_DEV = ROOT / "requirements" / "dev.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = [Requirement(spec) for spec in PYPROJECT["project"]["dependencies"]]
DEV = [Requirement(spec) for spec in PYPROJECT["project"]["optional-dependencies"]["dev"]]


def _names(requirements: list[Requirement]) -> set[NormalizedName]:
    return {canonicalize_name(req.name) for req in requirements}


def _imports(directory: Path) -> Iterator[tuple[Path, int, str, bool]]:
    """(file, line, absolute module name, only under TYPE_CHECKING) for each import under a folder.

    Relative imports are the package's own and are skipped.
    """
    for path in sorted(directory.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        typing_only: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                for child in node.body:
                    typing_only.update(range(child.lineno, (child.end_lineno or 0) + 1))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield path, node.lineno, name, node.lineno in typing_only


@cache
def _top_level_map() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def _module_paths(distribution: str) -> frozenset[str]:
    """Dotted names of the modules and packages whose files ``distribution`` installs."""
    found = set()
    for file in importlib.metadata.distribution(distribution).files or ():
        parts = list(file.parts)
        if not parts or not parts[-1].endswith((".py", ".pyi", ".so", ".pyd")):
            continue
        parts[-1] = parts[-1].split(".", 1)[0]  # "x.cpython-311-x86_64-linux-gnu.so" -> "x"
        if parts[-1] == "__init__":
            parts.pop()
        found.add(".".join(parts))
    return frozenset(found)


def providers(module: str) -> set[NormalizedName]:
    """The distributions that install ``module`` (or the nearest package above it).

    ``packages_distributions()`` answers per top-level name; where several distributions share
    one (``twisted`` also holds daphne's and autobahn's plugins), the one that installs the
    module's own file is the one that provides it.
    """
    top = module.split(".", 1)[0]
    candidates = _top_level_map().get(top, [])
    if len(candidates) <= 1:
        return {canonicalize_name(name) for name in candidates}
    parts = module.split(".")
    while parts:
        dotted = ".".join(parts)
        owners = {name for name in candidates if dotted in _module_paths(name)}
        if owners:
            return {canonicalize_name(name) for name in owners}
        parts.pop()
    return {canonicalize_name(name) for name in candidates}


def undeclared(
    root: Path,
    packages: tuple[str, ...],
    allowed: set[NormalizedName],
    typing_allowed: set[NormalizedName],
) -> list[str]:
    """One line per third-party import in ``root/<package>`` whose distribution is not allowed.

    ``allowed`` serves every import, ``typing_allowed`` also those under ``if TYPE_CHECKING:``.
    """
    own = set(APPS) | set(SUPPORT) | set(packages)
    problems = []
    for package in packages:
        for path, line, module, typing_only in _imports(root / package):
            top = module.split(".", 1)[0]
            if top in own or top in sys.stdlib_module_names or top == "__future__":
                continue
            found = providers(module)
            ok = allowed | typing_allowed if typing_only else allowed
            if not found & ok:
                by = ", ".join(sorted(found)) or "no installed distribution"
                problems.append(f"{path.relative_to(root)}:{line}: {module} (from {by})")
    return problems


def test_every_third_party_import_of_the_apps_is_a_declared_dependency() -> None:
    problems = undeclared(ROOT, APPS, _names(RUNTIME), _names(DEV))
    assert not problems, "add these to [project].dependencies in pyproject.toml:\n" + "\n".join(
        problems
    )


def test_every_third_party_import_of_tests_and_benchmarks_is_declared() -> None:
    allowed = _names(RUNTIME) | _names(DEV)
    problems = undeclared(ROOT, SUPPORT, allowed, allowed)
    assert not problems, "add these to the dev extra in pyproject.toml:\n" + "\n".join(problems)


def test_the_check_finds_the_distribution_of_each_import(tmp_path: Path) -> None:
    package = tmp_path / "newapp"
    package.mkdir()
    (package / "views.py").write_text(
        "from __future__ import annotations\n"
        "import json\n"
        "from typing import TYPE_CHECKING\n"
        "from django.db import models\n"
        "from twisted.internet import interfaces\n"
        "import openpyxl.styles\n"
        "import not_installed_anywhere\n"
        "from . import forms\n"
        "from newapp import urls\n"
        "if TYPE_CHECKING:\n"
        "    from pytest import Item\n"
        "    from hypothesis import strategies\n"
    )
    allowed = {canonicalize_name("Django")}
    assert undeclared(tmp_path, ("newapp",), allowed, {canonicalize_name("pytest")}) == [
        # twisted/ also holds daphne's and autobahn's plugins; Twisted installs twisted.internet
        "newapp/views.py:5: twisted.internet (from twisted)",
        "newapp/views.py:6: openpyxl.styles (from openpyxl)",
        "newapp/views.py:7: not_installed_anywhere (from no installed distribution)",
        "newapp/views.py:12: hypothesis (from hypothesis)",
    ]


def _pins(lock: Path) -> dict[NormalizedName, Version]:
    pins: dict[NormalizedName, Version] = {}
    for raw in lock.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{lock.name}: {line!r} is not pinned exactly (name==version)"
        pins[canonicalize_name(match["name"])] = Version(match["version"])
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [(LOCK_BASE, RUNTIME), (LOCK_DEV, RUNTIME + DEV)],
    ids=["base", "dev"],
)
def test_the_lock_pins_every_declared_dependency_within_its_range(
    lock: Path, requirements: list[Requirement]
) -> None:
    pins = _pins(lock)
    for req in requirements:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared but not in {lock.name}: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{lock.name} pins {req.name}=={pins[name]} outside {req}: run `make lock`"
        )


def test_the_runtime_lock_agrees_with_the_dev_lock() -> None:
    base, dev = _pins(LOCK_BASE), _pins(LOCK_DEV)
    differ = {name: (base[name], dev.get(name)) for name in base if dev.get(name) != base[name]}
    assert not differ, f"base.txt and dev.txt disagree (run `make lock`): {differ}"


def test_the_environment_holds_the_locked_versions() -> None:
    wrong = []
    for name, version in sorted(_pins(LOCK_DEV).items()):
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name}: locked {version}, not installed")
            continue
        if installed != version:
            wrong.append(f"{name}: locked {version}, installed {installed}")
    assert not wrong, "install the lock (`make install-dev`):\n" + "\n".join(wrong)
