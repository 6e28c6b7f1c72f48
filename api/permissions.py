"""What a request may do: the owner's rights now, narrowed by the token's scopes.

Views declare `scope_kind` (databases, account, admin…). A session has its user's rights;
a token has at most its scopes, and never more than its owner has at this moment (a
demoted administrator's token loses the admin scope on the next request).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.choices import ScopeKind
from api.exceptions import ScopeMissing, Unauthenticated
from api.models import ApiToken
from panel.errors import Forbidden


def token_of(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def owner_has(user, kind: str) -> bool:
    if kind == ScopeKind.ADMIN:
        return user.is_admin
    return True


class ScopedAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise Unauthenticated()
        kind = view.scope_kind
        if not owner_has(user, kind):
            raise Forbidden("This needs an administrator.", code="admin_required")
        token = token_of(request)
        write = request.method not in SAFE_METHODS
        # A view over several kinds (jobs) names them all; any one of them will do.
        kinds = getattr(view, "scope_kinds", None) or (kind,)
        if token is not None and not any(token.allows(k, write=write) for k in kinds):
            level = "write" if write else "read"
            wanted = " or ".join(f"{k}:{level}" for k in kinds)
            raise ScopeMissing(f"This token lacks the {wanted} scope.")
        return True


def readable_kinds(request, kinds) -> list[str]:
    """Those of KINDS the request may read (a session: all of them)."""
    token = token_of(request)
    return [k for k in kinds if token is None or token.allows(k, write=False)]


def restrict(request, kind: str, queryset):
    """QUERYSET narrowed to the objects the request's token is restricted to (if any)."""
    token = token_of(request)
    ids = token.allowed_ids(kind) if token is not None else None
    return queryset if ids is None else queryset.filter(pk__in=ids)


def may_create(request, kind: str) -> None:
    token = token_of(request)
    if token is not None and token.allowed_ids(kind) is not None:
        raise ScopeMissing("This token is restricted to named objects and cannot create new ones.")
