"""The backend interface: one driver class per server role, built from a Server row.

Every backend speaks the same small vocabulary: `ensure_<thing>` (make it so; running it
twice is harmless), `remove_<thing>` (make it gone; harmless if already gone) and
`inspect_<thing>` (what the server holds, or None). Failures raise BackendError.
"""

from __future__ import annotations

from importlib import import_module
from typing import ClassVar

from django.core.exceptions import ImproperlyConfigured


class BackendError(Exception):
    """A backend operation failed.

    `message` is a sentence a customer may read; `detail` is for administrators (the
    server's own error text, no traceback). `permanent=False` means retrying later may
    succeed (server unreachable, timeout).
    """

    def __init__(self, message: str, *, permanent: bool = True, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.detail = detail or message

    @classmethod
    def unreachable(cls, server: str, where: str, exc: Exception) -> BackendError:
        """A server that did not answer (retry later): `server` names it for the customer,
        `where` tells administrators what was being asked."""
        return cls(
            f"{server} cannot be reached right now.",
            permanent=False,
            detail=f"{where}: {type(exc).__name__}: {exc}",
        )


class Backend:
    role: ClassVar[str]

    def __init__(self, server) -> None:
        self.server = server

    def check(self) -> str:
        """Connect and return a short description of the server; raise BackendError."""
        raise NotImplementedError

    def reuse_connections(self) -> None:
        """Called by the runner: keep connections open for the rest of the job attempt."""

    def close(self) -> None:
        """Release what the backend holds (connections) at the end of a job attempt."""


# role -> dotted path of its backend class; each kind registers its own at start-up.
BACKENDS: dict[str, str] = {}


def register_backend(role: str, dotted_path: str) -> None:
    BACKENDS[role] = dotted_path


def get_backend(server, role: str) -> Backend:
    try:
        module_name, _, class_name = BACKENDS[role].rpartition(".")
    except KeyError:
        raise BackendError(f"No backend handles the {role} role yet.") from None
    if role not in server.roles:
        raise BackendError(f"Server {server.name} does not have the {role} role.")
    try:
        return getattr(import_module(module_name), class_name)(server)
    except ImproperlyConfigured as exc:  # e.g. credentials sealed with another key
        raise BackendError(
            f"The panel cannot use server {server.name} right now.", detail=str(exc)
        ) from None
