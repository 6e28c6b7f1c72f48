"""Compile every Django template of the project: a syntax error or an unknown tag or filter
fails `make lint` instead of the first request that renders the page.

    python -m deploy.check_templates      (with the stack's environment: `make lint`)
"""

from __future__ import annotations

import sys
from pathlib import Path

import django


def template_dirs() -> list[Path]:
    """The project's template folders: TEMPLATES' DIRS and each project app's templates/."""
    from django.apps import apps
    from django.conf import settings

    root = Path(settings.BASE_DIR)
    dirs = [Path(d) for conf in settings.TEMPLATES for d in conf.get("DIRS", [])]
    for config in apps.get_app_configs():
        folder = Path(config.path) / "templates"
        if folder.is_dir() and root in folder.parents and ".venv" not in folder.parts:
            dirs.append(folder)
    return dirs


def errors_in(dirs: list[Path]) -> list[str]:
    from django.template import TemplateSyntaxError, engines

    engine = engines["django"].engine
    found = []
    for folder in dirs:
        for path in sorted(folder.rglob("*")):
            if path.suffix not in {".html", ".txt", ".xml"}:
                continue
            try:
                engine.from_string(path.read_text())
            except TemplateSyntaxError as exc:
                found.append(f"{path}: {exc}")
    return found


def main() -> int:
    django.setup()
    dirs = template_dirs()
    found = errors_in(dirs)
    for line in found:
        print(line)
    count = sum(1 for d in dirs for p in d.rglob("*") if p.suffix in {".html", ".txt", ".xml"})
    print(f"templates: {count} compiled, {len(found)} with errors")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
