"""`python -m panel.stack up` after sourcing var/stack.env: the URLs are the stack's own."""

from __future__ import annotations

from panel.stack import services


def test_own_urls_mean_the_local_servers(monkeypatch, capsys):
    own = services.written_env()
    monkeypatch.setenv("DATABASE_URL", own["DATABASE_URL"])
    monkeypatch.setenv("REDIS_URL", own["REDIS_URL"])
    stack = services.up(lease=True)
    try:
        out = capsys.readouterr().out
        assert "no local server" not in out
        assert "DATABASE_URL is this stack's own (var/stack.env): using the local server" in out
        assert "postgres: already running on 127.0.0.1:" in out
        assert "redis:    already running on 127.0.0.1:" in out
        assert stack.env == own  # the runtime and owner URLs, REDIS_URL, ...
    finally:
        services.release(stack)


def test_a_foreign_url_is_used_as_given(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.example.test:5432/hearth")
    assert services.configured_url("DATABASE_URL", "postgres") == (
        "postgres://app@db.example.test:5432/hearth"
    )
    monkeypatch.delenv("REDIS_URL")
    assert services.configured_url("REDIS_URL", "redis") is None
