"""The workflows, forms and Dependabot file pass the same linters `make lint` runs, offline,
and those linters do catch what they are here for (a bad file in a temporary copy fails)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from deploy import lint

ROOT = Path(__file__).resolve().parents[2]
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)", re.MULTILINE)
EXPECTED = {"test.yml", "lint.yml", "docker.yml", "security.yml", "deploy.yml"}


def _load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    return lint.commands(lint.example_env(tmp_path_factory.mktemp("env")))


@pytest.mark.parametrize(
    "name",
    [
        "actionlint",
        "shellcheck",
        "zizmor",
        "workflow schema",
        "dependabot schema",
        "issue form schema",
        "issue config schema",
        "compose",
    ],
)
def test_the_linter_passes(checks, name):
    result = lint.run(name, checks[name])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_five_workflows_exist():
    assert {path.name for path in lint.workflows()} == EXPECTED


@pytest.mark.parametrize("path", lint.workflows(), ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_and_permissions_are_read_only(path):
    text = path.read_text()
    for ref in USES.findall(text):
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
    workflow = _load(path)
    assert "pull_request_target" not in (workflow.get(True) or workflow.get("on"))
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        for scope, level in (job.get("permissions") or {}).items():
            assert level in {"read", "write"} and scope != "write-all"


def test_each_action_has_one_pin_everywhere_with_its_tag_beside_it():
    # `uses: owner/repo@<sha> # vX.Y.Z`: the tag is what Dependabot updates and what a
    # reviewer checks the SHA against (README, "Action pins"); one pin per action.
    pins: dict[str, set[str]] = {}
    for path in lint.workflows():
        for line in path.read_text().splitlines():
            if "uses:" not in line:
                continue
            found = re.search(r"uses: ([\w./-]+)@([0-9a-f]{40}) # (v\d+(?:\.\d+)*)$", line)
            assert found, f"{path.name}: {line.strip()}"
            pins.setdefault(found[1], set()).add(f"{found[2]} {found[3]}")
    assert pins and all(len(seen) == 1 for seen in pins.values()), pins


def test_writes_are_granted_only_where_images_are_pushed_signed_or_scanned():
    granted = {}
    for path in lint.workflows():
        for name, job in _load(path)["jobs"].items():
            for scope, level in (job.get("permissions") or {}).items():
                if level == "write":
                    granted.setdefault(f"{path.name}:{name}", set()).add(scope)
    assert granted == {
        "docker.yml:publish": {"packages", "id-token"},
        "security.yml:codeql": {"security-events"},
    }


def test_deploy_waits_for_an_approved_environment():
    job = _load(ROOT / ".github" / "workflows" / "deploy.yml")["jobs"]["deploy"]
    assert job["environment"]["name"] == "production"


def _copy_github(tmp_path: Path) -> Path:
    target = tmp_path / ".github"
    shutil.copytree(ROOT / ".github", target)
    return target


def test_zizmor_flags_an_unpinned_action_and_pull_request_target(tmp_path):
    github = _copy_github(tmp_path)
    (github / "workflows" / "bad.yml").write_text(
        "name: bad\non: pull_request_target\npermissions: {}\njobs:\n  a:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
    )
    argv = [lint.BIN / "zizmor", "--offline", "--no-progress", github]
    result = lint.run("zizmor", argv)
    assert result.returncode != 0
    assert "dangerous-triggers" in result.stdout and "unpinned-uses" in result.stdout


def test_actionlint_flags_an_unknown_expression(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.nothing.outputs.x }}\n"
    )
    result = lint.run("actionlint", [lint.BIN / "actionlint", bad])
    assert result.returncode != 0 and "nothing" in result.stdout


def test_shellcheck_flags_an_unquoted_variable(tmp_path):
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\nrm -rf $1/data\n")
    result = lint.run("shellcheck", ["shellcheck", bad])
    assert result.returncode != 0 and "SC2086" in result.stdout


def test_issue_forms_schema_rejects_a_form_without_a_body(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: Bad\ndescription: no body\n")
    argv = [lint.BIN / "check-jsonschema", "--builtin-schema", "vendor.github-issue-forms", bad]
    assert lint.run("schema", argv).returncode != 0


def test_readme_badges_point_at_the_workflows():
    readme = (ROOT / "README.md").read_text()
    badged = set(re.findall(r"actions/workflows/([\w-]+\.yml)/badge\.svg", readme))
    assert badged == EXPECTED
