"""The session engine: Django's database sessions, looked up by the SHA-256 of the key.

The browser keeps the key; the table (`security.StoredSession`) keeps only its digest, so a
dump of the panel database holds no cookie that would log anyone in.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from security.models import StoredSession, session_key_digest


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        return StoredSession

    @staticmethod
    def digest(session_key: str) -> str:
        return session_key_digest(session_key)

    def _get_session_from_db(self):
        if not self.session_key:
            return None
        row = self.model.objects.filter(
            session_key=self.digest(self.session_key), expire_date__gt=timezone.now()
        ).first()
        if row is None:
            self._session_key = None
        return row

    def exists(self, session_key):
        return self.model.objects.filter(session_key=self.digest(session_key)).exists()

    def create_model_instance(self, data):
        return self.model(
            session_key=self.digest(self._get_or_create_session_key()),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key:
            self.delete_digest(self.digest(session_key))

    @classmethod
    def delete_digest(cls, digest: str) -> None:
        """End a session known only by its stored digest (revocation from the sessions list)."""
        cls.get_model_class().objects.filter(session_key=digest).delete()

    # The panel is served over WSGI; the async variants must not bypass the digest.
    async def aload(self):
        raise NotImplementedError("Hearth sessions are synchronous")

    async def aexists(self, session_key):
        raise NotImplementedError("Hearth sessions are synchronous")

    async def asave(self, must_create=False):
        raise NotImplementedError("Hearth sessions are synchronous")

    async def adelete(self, session_key=None):
        raise NotImplementedError("Hearth sessions are synchronous")
