"""`Idempotency-Key` on POST creates: the first answer is kept 24 h per token (or user) and
replayed for a retry with the same body; the same key with another body is a 409.

Passwords in a kept answer are not stored: a replay shows `"password": null`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from api.exceptions import IdempotencyConflict
from api.models import IdempotentRequest
from api.permissions import token_of

KEEP = timedelta(hours=24)
HEADER = "Idempotency-Key"


def _owner(request) -> str:
    token = token_of(request)
    return f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _without_secrets(data):
    if isinstance(data, dict):
        return {k: (None if k == "password" else _without_secrets(v)) for k, v in data.items()}
    return data


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was used for a different request.")
    if record.status is None:
        raise IdempotencyConflict("A request with this Idempotency-Key is still running.")
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status, headers=headers)


def idempotent(create):
    @wraps(create)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()[:255]
        if not key:
            return create(self, request, *args, **kwargs)
        owner, fingerprint = _owner(request), _fingerprint(request)
        IdempotentRequest.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        existing = IdempotentRequest.objects.filter(owner=owner, key=key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    owner=owner, key=key, fingerprint=fingerprint
                )
                response = create(self, request, *args, **kwargs)
                record.status = response.status_code
                record.body = _without_secrets(response.data)
                record.location = response.headers.get("Location", "")
                record.save(update_fields=["status", "body", "location"])
        except IntegrityError:
            return _replay(IdempotentRequest.objects.get(owner=owner, key=key), fingerprint)
        return response

    return wrapper
