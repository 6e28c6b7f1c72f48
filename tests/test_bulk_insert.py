"""panel.bulk_insert writes what Model.save would, in one statement of a fixed size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from panel.bulk_insert import insert_all
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


def _event(n: int, actor) -> AuditEvent:
    return AuditEvent(
        action="test.bulk",
        actor=actor if n % 2 else None,
        actor_label=actor.email if n % 2 else "system",
        target_label=f"row {n} ‘quoted’, with\ttab",
        account_id=n if n % 3 else None,
        ip="2001:db8::1" if n % 2 else ("192.0.2.7" if n % 3 else None),
        details={"n": n, "nested": {"list": [1, "two", None]}} if n % 4 else {},
    )


def test_rows_match_what_save_writes_and_the_ids_are_set_in_order(admin_user):
    saved = [_event(n, admin_user) for n in range(6)]
    for event in saved:
        event.save()
    bulk = [_event(n, admin_user) for n in range(6)]
    with CaptureQueriesContext(connection) as queries:
        insert_all(bulk)
    assert len(queries) == 1
    assert [e.pk for e in bulk] == sorted(e.pk for e in bulk)
    assert all(not e._state.adding for e in bulk)
    fields = ["actor_id", "actor_label", "target_label", "account_id", "ip", "details"]
    for one, other in zip(saved, bulk, strict=True):
        stored = AuditEvent.objects.values(*fields)
        assert stored.get(pk=other.pk) == stored.get(pk=one.pk)
        assert AuditEvent.objects.get(pk=other.pk).created_at is not None


def test_the_statement_does_not_grow_with_the_rows(admin_user):
    sent = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, len(params)))
        return execute(sql, params, many, context)

    for count in (2, 500):
        with connection.execute_wrapper(capture):
            insert_all([_event(n, admin_user) for n in range(count)])
    columns = len(AuditEvent._meta.concrete_fields) - 1  # one array per column but the id
    assert sent[0] == sent[1]
    assert sent[0][1] == columns
    assert AuditEvent.objects.filter(action="test.bulk").count() == 502


def test_nothing_to_insert_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert insert_all([]) == []
    assert len(queries) == 0
