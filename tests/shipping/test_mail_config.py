"""Compose's mail servers are configured by panel/stack's own writers (deploy/mail/serve.py),
placed for containers: every address, peers by service name, the console for logs. The
servers' own tools read what it writes (postconf, doveconf, rspamadm), as the image's do."""

from __future__ import annotations

import subprocess

import pytest

from deploy.mail import serve

READER_PASSWORD = "0123456789abcdef0123456789abcdef"


def _run(*argv) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.fixture
def configured(tmp_path, monkeypatch):
    monkeypatch.setattr(serve, "ROOT", tmp_path / "srv")
    monkeypatch.setattr(serve, "VHOSTS", tmp_path / "vhosts")
    monkeypatch.setattr(serve, "MAIL_USER", "nobody")
    monkeypatch.setenv("MAIL_DB_READER_PASSWORD", READER_PASSWORD)
    monkeypatch.setenv("MAIL_DOVEADM_API_KEY", "k" * 32)
    monkeypatch.setenv("MAIL_PUBLIC_HOSTNAME", "mx.example.org")
    monkeypatch.setenv("REDIS_PASSWORD", "redis-secret")
    ports = serve.ports()
    made = {}
    for name, configure in serve.CONFIGURE.items():
        made[name] = serve.server(name, ports)
        configure(made[name], ports)
    return made


def _postconf(post, *names: str) -> list[str]:
    return _run("postconf", "-c", str(post.dir), "-h", *names).splitlines()


def test_postfix_listens_everywhere_and_reaches_dovecot_and_rspamd_by_name(configured):
    post = configured["postfix"]
    assert _postconf(post, "inet_interfaces", "virtual_transport", "smtpd_milters") == [
        "all",
        "lmtp:inet:dovecot:24",
        "inet:rspamd:11332",
    ]
    assert _postconf(post, "smtpd_sasl_path", "myhostname") == [
        "inet:dovecot:12345",
        "mx.example.org",
    ]
    assert "172.16.0.0/12" in _postconf(post, "mynetworks")[0]
    assert _postconf(post, "maillog_file") == ["/dev/stdout"]
    assert _postconf(post, "defer_transports") == []  # it delivers (MAIL_OUTBOUND)
    services = _run("postconf", "-c", str(post.dir), "-M").splitlines()
    assert {line.split()[0] for line in services} >= {"25", "587", "10025"}
    maps = (post.dir / "mailboxes.cf").read_text()
    assert "hosts = inet:postgres:5432" in maps and f"password = {READER_PASSWORD}" in maps


def test_dovecot_listens_everywhere_and_sends_auto_replies_through_postfix(configured):
    dove = configured["dovecot"]
    conf = str(dove.conf)
    values = _run("doveconf", "-c", conf, "-h", "listen", "submission_host", "log_path")
    assert values.splitlines() == ["*", "postfix:10025", "/dev/stderr"]
    assert "172.16.0.0/12" in _run("doveconf", "-c", conf, "-h", "login_trusted_networks")
    assert str(serve.VHOSTS) in _run("doveconf", "-c", conf, "-h", "mail_home")
    assert dove.foreground_argv()[1:3] == ["-F", "-c"]


def test_rspamd_config_is_valid_and_reads_the_dkim_keys_with_the_redis_password(configured):
    spam = configured["rspamd"]
    argv = spam.foreground_argv()
    assert argv[-1] == "-f"
    variables = [arg for arg in argv if arg.startswith("--var=")]
    said = _run("rspamadm", *variables, "configtest", "-c", str(spam.dir / "rspamd.conf"))
    assert "syntax OK" in said
    assert 'bind_socket = "*:11332"' in (spam.dir / "rspamd.conf").read_text()
    signing = (spam.dir / "local.d" / "dkim_signing.conf").read_text()
    assert 'servers = "redis:6379"' in signing and 'password = "redis-secret"' in signing
    assert "nameserver" not in (spam.dir / "override.d" / "options.inc").read_text()


def test_it_refuses_to_configure_without_the_reader_password(configured, monkeypatch, capsys):
    monkeypatch.delenv("MAIL_DB_READER_PASSWORD")
    assert serve.main(["serve.py", "postfix"]) == 2
    assert "MAIL_DB_READER_PASSWORD is not set" in capsys.readouterr().err
