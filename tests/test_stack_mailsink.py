"""`make run`'s SMTP sink: the panel's mail reaches it over real SMTP and admins read it
at /dev/mail/ (development only) -- issue 10.13."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from django.core.mail import send_mail
from django.urls import reverse

from panel.stack.common import ROOT, port_accepts, wait_until
from panel.stack.run import mail_sink, panel_env

WAIT = 30.0


@pytest.fixture
def sink(tmp_path, monkeypatch, settings):
    """The sink exactly as `make run` starts it, and the settings its children then get."""
    monkeypatch.delenv("EMAIL_HOST", raising=False)
    monkeypatch.setenv("HEARTH_MAIL_SINK_DIR", str(tmp_path / "mail"))
    env = panel_env({**os.environ, "HEARTH_DEV": "1"}, 8000)
    proc = subprocess.Popen(mail_sink(env), cwd=ROOT, env=env, start_new_session=True)
    try:
        assert wait_until(lambda: port_accepts(int(env["EMAIL_PORT"])), WAIT)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = env["EMAIL_HOST"], int(env["EMAIL_PORT"])
        settings.HEARTH_MAIL_SINK_DIR = env["HEARTH_MAIL_SINK_DIR"]
        yield tmp_path / "mail"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(WAIT)


def _caught(directory):
    return sorted(directory.glob("*.eml")) if directory.is_dir() else []


def test_mail_sent_by_the_panel_is_caught_and_shown_to_admins(sink, admin_client):
    send_mail("Verify your address", "Open this link: https://x.test/v/abc", None, ["a@x.test"])
    assert wait_until(lambda: len(_caught(sink)) == 1, WAIT)
    name = _caught(sink)[0].name
    page = admin_client.get(reverse("dev_mail_list"))
    assert page.status_code == 200
    assert "Verify your address" in page.content.decode() and "a@x.test" in page.content.decode()
    detail = admin_client.get(reverse("dev_mail_detail", args=[name]))
    assert detail.status_code == 200
    assert "Open this link: https://x.test/v/abc" in detail.content.decode()


def test_each_message_is_its_own_file(sink):
    for n in range(3):
        send_mail(f"Message {n}", "body", None, ["b@x.test"])
    assert wait_until(lambda: len(_caught(sink)) == 3, WAIT)
    subjects = {p.read_text().split("Subject: ", 1)[1].split("\n", 1)[0] for p in _caught(sink)}
    assert subjects == {"Message 0", "Message 1", "Message 2"}


def test_customers_are_refused_and_unknown_names_are_404(sink, alice_client, admin_client):
    assert alice_client.get(reverse("dev_mail_list")).status_code == 403
    assert admin_client.get(reverse("dev_mail_detail", args=["stack.env"])).status_code == 404
    missing = "20260101T000000-" + "0" * 32 + ".eml"
    assert admin_client.get(reverse("dev_mail_detail", args=[missing])).status_code == 404


def test_the_pages_do_not_exist_outside_development(sink, admin_client, settings):
    send_mail("Secret", "body", None, ["c@x.test"])
    assert wait_until(lambda: len(_caught(sink)) == 1, WAIT)
    settings.DEV_MODE = False
    assert admin_client.get(reverse("dev_mail_list")).status_code == 404
    name = _caught(sink)[0].name
    assert admin_client.get(reverse("dev_mail_detail", args=[name])).status_code == 404


def test_a_configured_smtp_server_is_used_instead_of_the_sink(monkeypatch):
    monkeypatch.setenv("EMAIL_HOST", "smtp.example.test")
    env = panel_env({**os.environ, "HEARTH_DEV": "1"}, 8000)
    assert env["EMAIL_HOST"] == "smtp.example.test"
    assert mail_sink(env) is None
