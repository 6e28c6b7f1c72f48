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


def test_a_url_from_elsewhere_never_replaces_the_own_one_in_stack_env(tmp_path, monkeypatch):
    """A scratch panel (its own database and Redis, tests/test_stack_make_run_faults.py) runs
    `panel.stack run` in this checkout: var/stack.env must keep naming the local servers."""
    monkeypatch.setattr(services, "ENV_FILE", tmp_path / "stack.env")
    services.write_env(
        {
            "DATABASE_URL": "postgres://own/hearth",
            "REDIS_URL": "redis://own/0",
            "MAIL_HOST": "127.0.0.1",  # not started by a run on a database from elsewhere
        }
    )
    started = {
        "DATABASE_URL": "postgres://app@elsewhere/scratch",
        "DATABASE_OWNER_URL": "postgres://owner@elsewhere/scratch",
        "REDIS_URL": "redis://scratch/0",
        "PDNS_API_URL": "http://127.0.0.1:8081/api/v1",
    }
    own = services.own_env(
        started,
        database="postgres://app@elsewhere/scratch",
        redis="redis://scratch/0",
        dbserver=None,
    )
    assert own == {
        "DATABASE_URL": "postgres://own/hearth",
        "REDIS_URL": "redis://own/0",
        "MAIL_HOST": "127.0.0.1",
        "PDNS_API_URL": "http://127.0.0.1:8081/api/v1",
    }
    assert services.own_env(started, database=None, redis=None, dbserver=None) == started
