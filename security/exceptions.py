"""Typed errors of the security app (see panel/errors.py for how they become answers)."""

from panel.errors import DomainError, Kind


class SecurityError(DomainError):
    """Something the person can fix; the message is shown to them."""

    kind = Kind.INVALID


class TokenInvalid(SecurityError):
    code = "link_invalid"

    def __init__(self, message: str = "This link is invalid. Ask for a new one."):
        super().__init__(message)


class TokenExpired(TokenInvalid):
    def __init__(self):
        super().__init__("This link has expired. Ask for a new one.")


class TokenUsed(TokenInvalid):
    def __init__(self):
        super().__init__("This link has already been used. Ask for a new one.")


class TokenWrongUser(TokenInvalid):
    def __init__(self):
        super().__init__("This link belongs to another account. Log out and open it again.")


class RateLimited(SecurityError):
    kind = Kind.THROTTLED
    code = "throttled"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, retry_after=retry_after)


class InvalidCode(SecurityError):
    code = "invalid_code"
    field = "code"

    def __init__(self, message: str = "That code is not valid. Check your app and try again."):
        super().__init__(message)


class EmailNotVerified(SecurityError):
    """Unverified users cannot create resources."""

    kind = Kind.FORBIDDEN
    code = "email_not_verified"

    def __init__(self):
        super().__init__("Confirm your email address before creating resources.")
