"""Typed errors of the monitoring app; each kind decides its status (panel/errors.py)."""

from panel.errors import DomainError, Kind


class MonitoringError(DomainError):
    kind = Kind.INVALID
    reason = "invalid"  # the label of the rejected-reports counter

    def __init__(self, message: str) -> None:
        super().__init__(message, code=self.reason)


class PayloadError(MonitoringError):
    """The report is malformed or out of range (400)."""

    kind = Kind.INVALID
    reason = "invalid"


class AuthenticationFailed(MonitoringError):
    """Missing, unknown or revoked key, or a bad enrolment token (401)."""

    kind = Kind.UNAUTHENTICATED
    reason = "unauthorized"


class WrongServer(MonitoringError):
    """A valid key writing another server's samples (403)."""

    kind = Kind.FORBIDDEN
    reason = "forbidden"


class PayloadTooLarge(MonitoringError):
    kind = Kind.TOO_LARGE
    reason = "too_large"


class LengthRequired(MonitoringError):
    """A body without Content-Length (e.g. chunked): its size cannot be checked first (411)."""

    kind = Kind.LENGTH_REQUIRED
    reason = "length_required"


class UnsupportedMediaType(MonitoringError):
    """A body that is not declared as application/json (415)."""

    kind = Kind.UNSUPPORTED_MEDIA_TYPE
    reason = "unsupported_media_type"
