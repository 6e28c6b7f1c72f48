"""The locks are complete, hash-pinned, name no package source and agree with pyproject.toml.

"Agree" is checked against the packages' own metadata: starting from pyproject.toml's
requirements and following each installed distribution's Requires-Dist (the virtualenv is
installed from requirements-dev.lock), the set reached must be exactly the lock's set.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploy.locks import read_lock

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "requirements.lock"
DEV = ROOT / "requirements-dev.lock"
AGENT = ROOT / "agent" / "requirements.lock"


def _project(path: Path) -> dict:
    return tomllib.loads(path.read_text())["project"]


def _requirements(project: dict, *extras: str) -> list[Requirement]:
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _closure(roots: list[Requirement]) -> set[str]:
    """Names reachable from roots through the installed distributions' metadata."""
    seen: set[str] = set()
    todo = [(req, set()) for req in roots]
    while todo:
        req, parent_extras = todo.pop()
        env_extras = parent_extras or {""}
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in env_extras):
            continue
        name = canonicalize_name(req.name)
        key = name + "[" + ",".join(sorted(req.extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        for line in metadata.requires(name) or []:
            todo.append((Requirement(line), set(req.extras)))
    return {key.split("[")[0] for key in seen}


def _applicable(lock: dict) -> set[str]:
    return {name for name, pin in lock.items() if pin.applies()}


@pytest.mark.parametrize("path", [RUNTIME, DEV, AGENT], ids=lambda p: p.name)
def test_every_pin_is_exact_and_hashed_and_names_no_source(path):
    text = path.read_text()
    # No download addresses and no pip option but --hash (others would name a package source).
    assert "://" not in text and not re.search(r"^\s*--(?!hash=)", text, re.M)
    pins = read_lock(path)
    assert pins
    for pin in pins.values():
        assert pin.hashes, f"{pin.name} has no hash"
    assert "make lock" in text.splitlines()[1], "the header names the command that made it"


def test_runtime_lock_is_exactly_what_pyproject_requires():
    project = _project(ROOT / "pyproject.toml")
    lock = read_lock(RUNTIME)
    for req in _requirements(project):
        pin = lock[canonicalize_name(req.name)]
        assert req.specifier.contains(pin.version, prereleases=True), (req, pin.version)
    assert _applicable(lock) == _closure(_requirements(project))


def test_dev_lock_is_runtime_plus_dev_tools_at_the_same_versions():
    project = _project(ROOT / "pyproject.toml")
    runtime, dev = read_lock(RUNTIME), read_lock(DEV)
    for req in _requirements(project, "dev"):
        pin = dev[canonicalize_name(req.name)]
        assert req.specifier.contains(pin.version, prereleases=True), (req, pin.version)
    for name, pin in runtime.items():
        assert dev[name].version == pin.version, name
    assert _applicable(dev) == _closure(_requirements(project, "dev"))
    assert "pytest" in dev and "pytest" not in runtime


def test_the_virtualenv_runs_what_the_dev_lock_pins():
    for name, pin in read_lock(DEV).items():
        if pin.applies():
            assert metadata.version(name) == pin.version, name


def test_agent_lock_matches_the_agent_pyproject():
    project = _project(ROOT / "agent" / "pyproject.toml")
    lock = read_lock(AGENT)
    for req in _requirements(project):
        assert req.specifier.contains(lock[canonicalize_name(req.name)].version)
    assert _applicable(lock) == _closure(_requirements(project))


def test_sbom_lists_every_runtime_pin_with_its_hashes(tmp_path):
    out = tmp_path / "sbom.json"
    tool = Path(sys.executable).with_name("cyclonedx-py")
    subprocess.run(
        [tool, "requirements", RUNTIME, "--of", "JSON", "-o", out], check=True, capture_output=True
    )
    bom = json.loads(out.read_text())
    assert bom["bomFormat"] == "CycloneDX"
    found = {canonicalize_name(c["name"]): c for c in bom["components"]}
    for name, pin in read_lock(RUNTIME).items():
        assert found[name]["version"] == pin.version
        assert found[name]["purl"] == f"pkg:pypi/{name}@{pin.version}"
    assert "pytest" not in found
