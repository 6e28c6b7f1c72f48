"""Every state change of the monitoring app: enrolment, agent keys, ingestion."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring import ingest
from monitoring.exceptions import AuthenticationFailed, WrongServer
from monitoring.models import AgentKey, EnrolmentToken
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


@dataclass(frozen=True)
class Agent:
    """An authenticated agent: the digest of its key and the server it reports for."""

    key_hash: str
    server_id: int


# Keys this process has seen valid: digest → server id. A hit saves the lookup query; it is
# never trusted alone, since `ingest.store` re-checks the key in the statement that writes.
_KNOWN_KEYS: dict[str, int] = {}
_KNOWN_KEYS_MAX = 100_000


def forget_agent_key(key_hash: str) -> None:
    _KNOWN_KEYS.pop(key_hash, None)


def authenticate_agent(authorization: str) -> Agent:
    scheme, _, plain = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        raise AuthenticationFailed("an agent key is required (Authorization: Bearer <key>)")
    key_hash = digest(plain.strip())
    server_id = _KNOWN_KEYS.get(key_hash)
    if server_id is None:
        server_id = (
            AgentKey.objects.active()
            .filter(server__status=ServerStatus.ACTIVE, key_hash=key_hash)
            .values_list("server_id", flat=True)
            .first()
        )
        if server_id is None:
            raise AuthenticationFailed("the agent key is unknown or revoked")
        if len(_KNOWN_KEYS) >= _KNOWN_KEYS_MAX:
            _KNOWN_KEYS.clear()
        _KNOWN_KEYS[key_hash] = server_id
    return Agent(key_hash, server_id)


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


def ingest_report(agent: Agent, report: Report) -> int:
    """Store a validated report for the agent's own server; returns the samples newly stored.

    One statement (`monitoring.ingest`), which also re-checks the key: revoked since this
    process cached it, or its server retired, the report is refused (401) and forgotten.
    """
    if report.server != agent.server_id:
        raise WrongServer("this agent key belongs to another server")
    stored = ingest.store(agent.key_hash, agent.server_id, report)
    if stored is None:
        forget_agent_key(agent.key_hash)
        raise AuthenticationFailed("the agent key is unknown or revoked")
    return stored


@transaction.atomic
def update_alert_rule(form, *, actor):
    """Save an edited rule (a validated AlertRuleForm) and record old and new values."""
    before = {name: form.initial.get(name) for name in form.changed_data}
    rule = form.save()
    after = {name: form.cleaned_data[name] for name in form.changed_data}
    audit.record(actor, "monitoring.alert_rule_updated", target=rule, old=before, new=after)
    return rule
