"""Typed errors of the monitoring app; `api.py` maps them to HTTP answers in one place."""


class MonitoringError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PayloadError(MonitoringError):
    """The report is malformed or out of range (400)."""

    status = 400
    reason = "invalid"


class AuthenticationFailed(MonitoringError):
    """Missing, unknown or revoked key, or a bad enrolment token (401)."""

    status = 401
    reason = "unauthorized"


class WrongServer(MonitoringError):
    """A valid key writing another server's samples (403)."""

    status = 403
    reason = "forbidden"


class PayloadTooLarge(MonitoringError):
    status = 413
    reason = "too_large"


class LengthRequired(MonitoringError):
    """A body without Content-Length (e.g. chunked): its size cannot be checked first (411)."""

    status = 411
    reason = "length_required"


class UnsupportedMediaType(MonitoringError):
    """A body that is not declared as application/json (415)."""

    status = 415
    reason = "unsupported_media_type"
