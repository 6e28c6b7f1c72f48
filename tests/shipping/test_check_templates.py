"""`make lint` compiles every template, and a broken one is reported with its path."""

from __future__ import annotations

from deploy.check_templates import errors_in, template_dirs


def test_every_project_template_compiles():
    dirs = template_dirs()
    assert any((d / "base.html").exists() for d in dirs)
    assert errors_in(dirs) == []


def test_it_reports_syntax_errors_and_unknown_filters(tmp_path):
    (tmp_path / "ok.html").write_text("{% if x %}{{ x|upper }}{% endif %}")
    (tmp_path / "unclosed.html").write_text("{% if x %}never closed")
    (tmp_path / "filter.txt").write_text("{{ x|no_such_filter }}")
    (tmp_path / "library.html").write_text("{% load no_such_library %}")
    found = errors_in([tmp_path])
    assert sorted(line.split(":")[0].rsplit("/", 1)[1] for line in found) == [
        "filter.txt",
        "library.html",
        "unclosed.html",
    ]
