"""`make run` points emailed links at the port it serves on unless PANEL_BASE_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys

from panel.stack.common import ROOT
from panel.stack.run import panel_env


def _settings_base_url(env: dict[str, str]) -> str:
    """PANEL_BASE_URL as Django settings read it in a child started with ENV."""
    code = "from django.conf import settings; print(settings.PANEL_BASE_URL)"
    env = {**env, "DJANGO_SETTINGS_MODULE": "panel.settings", "HEARTH_DEV": "1"}
    argv = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    out = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    return out.stdout.strip()


def test_base_url_follows_the_served_port(monkeypatch):
    monkeypatch.delenv("PANEL_BASE_URL", raising=False)
    env = panel_env(dict(os.environ), 8123)
    assert _settings_base_url(env) == "http://127.0.0.1:8123"


def test_explicit_base_url_is_kept(monkeypatch):
    monkeypatch.setenv("PANEL_BASE_URL", "https://panel.example.test")
    env = panel_env(dict(os.environ), 8123)
    assert _settings_base_url(env) == "https://panel.example.test"
