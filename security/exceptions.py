"""Typed errors of the security app; views map them to messages and status codes."""

from django.core.exceptions import PermissionDenied


class SecurityError(Exception):
    """Something the person can fix; the message is shown to them."""


class TokenInvalid(SecurityError):
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
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidCode(SecurityError):
    def __init__(self, message: str = "That code is not valid. Check your app and try again."):
        super().__init__(message)


class EmailNotVerified(PermissionDenied):
    """Unverified users cannot create resources."""

    def __init__(self):
        super().__init__("Confirm your email address before creating resources.")
