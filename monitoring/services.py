"""Every state change of the monitoring app: enrolment, agent keys, ingestion."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from monitoring import storage
from monitoring.exceptions import AuthenticationFailed, WrongServer
from monitoring.models import STATE_METRICS, AgentKey, EnrolmentToken
from monitoring.validation import Report
from provisioning.servers.choices import ServerStatus
from provisioning.servers.models import Server
from security import audit

TOKEN_PREFIX = "het_"  # noqa: S105 - a prefix, not a secret
KEY_PREFIX = "hak_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_enrolment_token(server: Server, *, actor) -> tuple[EnrolmentToken, str]:
    """A one-time token valid 24 hours; the plain value is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(24)
    token = EnrolmentToken.objects.create(
        server=server,
        token_hash=digest(plain),
        created_by=actor,
        expires_at=timezone.now() + timedelta(hours=settings.MONITORING_ENROLMENT_HOURS),
    )
    audit.record(actor, "monitoring.enrolment_token_created", target=server)
    return token, plain


@transaction.atomic
def register_agent(
    plain_token: str, *, hostname: str = "", version: str = ""
) -> tuple[AgentKey, str]:
    """Exchange an unused, unexpired enrolment token for a new agent key.

    The token is consumed by a conditional update, so two agents racing with the same token
    cannot both succeed. Earlier keys of the server are revoked: one agent per server.
    """
    now = timezone.now()
    token = (
        EnrolmentToken.objects.select_for_update()
        .select_related("server")
        .filter(token_hash=digest(plain_token or ""), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None:
        raise AuthenticationFailed("the enrolment token is unknown, used or expired")
    EnrolmentToken.objects.filter(pk=token.pk).update(used_at=now)
    AgentKey.objects.filter(server=token.server, revoked_at__isnull=True).update(revoked_at=now)
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = AgentKey.objects.create(
        server=token.server,
        key_hash=digest(plain),
        prefix=plain[:12],
        hostname=hostname[:255],
        agent_version=version[:32],
    )
    audit.record(None, "monitoring.agent_registered", target=token.server, hostname=key.hostname)
    return key, plain


@transaction.atomic
def revoke_agent_key(key: AgentKey, *, actor) -> None:
    AgentKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(actor, "monitoring.agent_key_revoked", target=key.server, prefix=key.prefix)


def authenticate_agent(authorization: str) -> AgentKey:
    scheme, _, plain = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        raise AuthenticationFailed("an agent key is required (Authorization: Bearer <key>)")
    key = (
        AgentKey.objects.active()
        .filter(server__status=ServerStatus.ACTIVE)
        .select_related("server")
        .filter(key_hash=digest(plain.strip()))
        .first()
    )
    if key is None:
        raise AuthenticationFailed("the agent key is unknown or revoked")
    return key


def revoke_keys_of_retired(server: Server, *, actor=None) -> int:
    """Revoke every active key of SERVER once it is retired; returns how many were revoked.

    Called when `retire_server` announces it (see `monitoring.signals`); the key lookup also
    refuses keys of a server that is not active, however it got there.
    """
    if server.status == ServerStatus.ACTIVE:
        return 0
    keys = AgentKey.objects.active().filter(server=server)
    prefixes = list(keys.values_list("prefix", flat=True))
    revoked = keys.update(revoked_at=timezone.now())
    for prefix in prefixes:
        audit.record(actor, "monitoring.agent_key_revoked", target=server, prefix=prefix)
    return revoked


_STATE_SQL = (
    "INSERT INTO monitoring_serverstate (server_id, last_report_at, last_sample_at, "  # noqa: S608
    f"interval_seconds, dropped_samples, {', '.join(STATE_METRICS)}) "
    f"VALUES (%s, %s, %s, %s, %s, {', '.join(['%s'] * len(STATE_METRICS))}) "
    "ON CONFLICT (server_id) DO UPDATE SET last_report_at = EXCLUDED.last_report_at, "
    "interval_seconds = EXCLUDED.interval_seconds, dropped_samples = EXCLUDED.dropped_samples, "
    + ", ".join(
        f"{col} = CASE WHEN EXCLUDED.last_sample_at >= monitoring_serverstate.last_sample_at "
        f"THEN EXCLUDED.{col} ELSE monitoring_serverstate.{col} END"
        for col in ("last_sample_at", *STATE_METRICS)
    )
)


def _update_state(server_id: int, report: Report, now) -> None:
    latest = max(report.rows, key=lambda row: row["ts"])
    params = [server_id, now, latest["ts"], report.interval, report.dropped]
    params += [latest[col] for col in STATE_METRICS]
    with connection.cursor() as cursor:
        cursor.execute(_STATE_SQL, params)


@transaction.atomic
def _store_report(key: AgentKey, report: Report) -> int:
    stored = storage.insert_samples(report.rows, ensure=False)
    _update_state(key.server_id, report, timezone.now())
    return stored


def ingest_report(key: AgentKey, report: Report) -> int:
    """Store a validated report for the key's own server; returns the samples newly stored.

    Partitions normally exist (created ahead by beat); when a sample falls on a day without
    one (an old buffered sample), the transaction fails, the partition is created, and the
    report is stored on the second try.
    """
    if report.server != key.server_id:
        raise WrongServer("this agent key belongs to another server")
    try:
        return _store_report(key, report)
    except IntegrityError as exc:
        if not storage.is_missing_partition(exc):
            raise
    with transaction.atomic():
        storage.ensure_partitions(storage.days_of(report.rows))
    return _store_report(key, report)


@transaction.atomic
def update_alert_rule(form, *, actor):
    """Save an edited rule (a validated AlertRuleForm) and record old and new values."""
    before = {name: form.initial.get(name) for name in form.changed_data}
    rule = form.save()
    after = {name: form.cleaned_data[name] for name in form.changed_data}
    audit.record(actor, "monitoring.alert_rule_updated", target=rule, old=before, new=after)
    return rule
