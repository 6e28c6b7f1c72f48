"""One row per email the panel sends, written in the transaction of the event it reports."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from outbox.choices import State


class MessageQuerySet(models.QuerySet):
    def latest_for(self, kind: str, address: str):
        return self.filter(kind=kind, to__contains=[address]).order_by("-created_at").first()


class Message(models.Model):
    kind = models.CharField(max_length=40)  # the template name: verify_email, alert, ...
    to = ArrayField(models.EmailField(max_length=254))
    subject = models.CharField(max_length=998)
    # Bodies may carry a live link (verification, reset): they are dropped once sent.
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="outbox_state_created")]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.to)} ({self.state})"
