"""Argon2, CSRF, CSP without inline code, and `check --deploy` with production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.contrib.auth.hashers import get_hasher
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def test_argon2_is_the_password_hasher(alice_account):
    assert get_hasher().algorithm == "argon2"
    assert alice_account.owner.password.startswith("argon2$argon2id$")
    assert alice_account.owner.check_password(PASSWORD)


def test_csp_forbids_inline_scripts(client):
    response = client.get(reverse("accounts:login"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_template_has_inline_scripts_or_styles():
    templates = [
        path
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts
        and "node_modules" not in path.parts
        and "templates" in path.parts
    ]
    assert templates
    offenders = []
    for path in templates:
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=", text):
            offenders.append(str(path.relative_to(ROOT)))
        if re.search(r"\son[a-z]+=\"", text):  # onclick= and friends are inline scripts too
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_forms_are_csrf_protected(alice_account):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:login"), {"username": alice_account.owner.email, "password": PASSWORD}
    )
    assert response.status_code == 403
    page = client.get(reverse("accounts:login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        reverse("accounts:login"),
        {"username": alice_account.owner.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_check_deploy_with_production_settings_reports_nothing():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HEARTH_DEV", "DEBUG", "HTTPS", "SECURE_SSL_REDIRECT"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="panel.example.com",
        DATABASE_URL=os.environ["DATABASE_URL"],
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        API_TOKEN_PEPPER="x" * 50,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
