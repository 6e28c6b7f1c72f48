"""The API's errors, in the panel's one DomainError family."""

from panel.errors import Conflict, DomainError, Forbidden, Invalid, Kind


class Unauthenticated(DomainError):
    kind = Kind.UNAUTHENTICATED
    default_message = "Send a valid API token (Authorization: Bearer hth_...) or log in."


class TokenRefused(Invalid):
    code = "token_invalid"


class TokenRejected(Unauthenticated):
    code = "token_invalid"


class ScopeMissing(Forbidden):
    code = "scope_missing"


class SessionRequired(Forbidden):
    code = "session_required"
    default_message = "Tokens can only be created or changed from a logged-in browser session."


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
