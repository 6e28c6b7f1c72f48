"""The agent ships as a wheel that installs, with its hash-pinned lock, into a clean virtualenv."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_agent_wheel_installs_into_a_clean_venv_and_runs(tmp_path):
    source = tmp_path / "agent"
    skip = shutil.ignore_patterns("dist", "build", "*.egg-info")
    shutil.copytree(ROOT / "agent", source, ignore=skip)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", dist, source],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("hearth_agent-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "hearth_agent/cli.py" in names
    assert not any(name.startswith(("panel/", "tests/")) for name in names)

    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    pip = [target / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    lock = ROOT / "agent" / "requirements.lock"
    subprocess.run([*pip, "--require-hashes", "-r", lock], check=True)
    subprocess.run([*pip, "--no-deps", wheel], check=True)
    listed = subprocess.run(
        [target / "bin" / "python", "-m", "pip", "list", "--format=freeze"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert {line.split("==")[0].lower() for line in listed.split()} >= {"hearth-agent", "psutil"}
    assert "django" not in listed.lower()
    helped = subprocess.run(
        [target / "bin" / "hearth-agent", "--help"], capture_output=True, text=True, check=True
    )
    assert "register" in helped.stdout and "run" in helped.stdout
