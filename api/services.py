"""Creating, checking and revoking API tokens. Every change is audited."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api.choices import TOKEN_PREFIX, Level, ScopeKind
from api.exceptions import TokenRefused, TokenRejected
from api.models import ApiToken
from security import audit

LAST_USED_EVERY = timedelta(seconds=60)


def hash_secret(secret: str) -> str:
    pepper = settings.API_TOKEN_PEPPER.encode()
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def _clean_scopes(user, scopes: dict[str, str]) -> dict[str, str]:
    cleaned = {}
    for kind, level in scopes.items():
        if kind not in ScopeKind.values or level not in Level.values:
            raise TokenRefused(f"Unknown scope {kind}:{level}.", field="scopes")
        if kind == ScopeKind.ADMIN and not user.is_admin:
            raise TokenRefused("Only administrators can grant the admin scope.", field="scopes")
        cleaned[kind] = level
    if not cleaned:
        raise TokenRefused("Choose at least one scope.", field="scopes")
    return cleaned


def _clean_objects(objects: list[str]) -> list[str]:
    cleaned = []
    for item in objects:
        kind, _, ident = item.strip().partition(":")
        if kind not in ScopeKind.values or not ident.isdigit():
            raise TokenRefused(
                f"Restrict to objects as kind:id (e.g. databases:12), not {item!r}.",
                field="objects",
            )
        cleaned.append(f"{kind}:{int(ident)}")
    return sorted(set(cleaned))


def _clean_cidrs(cidrs: list[str]) -> list[str]:
    try:
        return sorted({str(ipaddress.ip_network(c.strip(), strict=False)) for c in cidrs})
    except ValueError:
        message = "Source networks must be CIDRs such as 192.0.2.0/24."
        raise TokenRefused(message, field="cidrs") from None


def _clean_days(days: int | None) -> int:
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise TokenRefused(
            f"A token lives between 1 and {settings.API_TOKEN_MAX_DAYS} days.", field="days"
        )
    return days


@transaction.atomic
def create_token(
    user,
    *,
    name: str,
    scopes: dict[str, str],
    objects: list[str] = (),
    cidrs: list[str] = (),
    days: int | None = None,
    request,
) -> tuple[ApiToken, str]:
    """Make a token for USER; returns (token, the full `hth_<id>_<secret>` shown once)."""
    name = name.strip()
    if not name:
        raise TokenRefused("Give the token a name.", field="name")
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        secret_hash=hash_secret(secret),
        scopes=_clean_scopes(user, scopes),
        objects_allowed=_clean_objects(list(objects)),
        source_cidrs=_clean_cidrs(list(cidrs)),
        expires_at=timezone.now() + timedelta(days=_clean_days(days)),
    )
    audit.record(
        request,
        "api.credential_created",
        target=user,
        credential=token.pk,
        name=token.name,
        scopes=token.scopes,
        objects=token.objects_allowed,
        cidrs=token.source_cidrs,
        expires_at=token.expires_at.isoformat(),
    )
    return token, f"{TOKEN_PREFIX}_{token.pk}_{secret}"


@transaction.atomic
def revoke_token(token: ApiToken, *, request) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            request,
            "api.credential_revoked",
            target=token.user,
            credential=token.pk,
            name=token.name,
        )
    return token


def parse(raw: str) -> tuple[int, str] | None:
    prefix, _, rest = raw.partition("_")
    ident, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not ident.isdigit() or not secret:
        return None
    return int(ident), secret


def check(raw: str, address: str | None) -> ApiToken:
    """The usable token RAW names, or TokenRejected saying why."""
    parsed = parse(raw)
    token = None
    if parsed is not None:
        token = ApiToken.objects.select_related("user").filter(pk=parsed[0]).first()
    expected = token.secret_hash if token is not None else hash_secret("-")
    matches = hmac.compare_digest(expected, hash_secret(parsed[1] if parsed else ""))
    if token is None or not matches:
        raise TokenRejected("The API token is not valid.", code="token_invalid")
    if token.revoked_at is not None:
        raise TokenRejected("The API token was revoked.", code="token_revoked")
    if token.is_expired:
        raise TokenRejected("The API token has expired.", code="token_expired")
    if not token.user.is_active:
        raise TokenRejected("The API token's owner is disabled.", code="token_invalid")
    if not token.accepts_address(address):
        raise TokenRejected("The API token is not accepted from this address.", code="token_source")
    _note_use(token, address)
    return token


def _note_use(token: ApiToken, address: str | None) -> None:
    now = timezone.now()
    stale = token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY
    if stale or token.last_used_ip != address:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)
        token.last_used_at, token.last_used_ip = now, address
