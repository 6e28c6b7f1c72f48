"""Development only: the messages the local SMTP sink caught (panel/stack/mailsink.py).

Administrators see them at /dev/mail/ while HEARTH_DEV is on and HEARTH_MAIL_SINK_DIR is
set (`make run` sets both); otherwise the pages do not exist (404).
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from accounts.access import admin_required
from panel.pagination import paginate
from panel.stack.mailsink import NAME_RE


def _sink_dir() -> Path:
    if not settings.DEV_MODE or not settings.HEARTH_MAIL_SINK_DIR:
        raise Http404("The mail sink exists in development only.")
    return Path(settings.HEARTH_MAIL_SINK_DIR)


def dev_only(view):
    """404 outside development (before anything else), then administrators only."""
    guarded = admin_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        _sink_dir()
        return guarded(request, *args, **kwargs)

    return wrapper


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _summary(path: Path) -> dict:
    message = _parse(path)
    return {
        "name": path.name,
        "subject": message.get("Subject", ""),
        "from": message.get("From", ""),
        "to": message.get("To", ""),
        "date": message.get("Date", ""),
    }


def caught(directory: Path) -> list[Path]:
    """The stored messages, newest first."""
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if NAME_RE.match(p.name)), reverse=True)


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body is not None else ""


@dev_only
def mail_list(request):
    page = paginate(request, caught(_sink_dir()))
    page.object_list = [_summary(path) for path in page.object_list]
    return render(request, "panel/dev_mail_list.html", {"page": page})


@dev_only
def mail_detail(request, name: str):
    path = _sink_dir() / name
    if not NAME_RE.match(name) or not path.is_file():
        raise Http404("No such message.")
    message = _parse(path)
    context = {
        "message": _summary(path),
        "body": _text_of(message),
        "parts": [part.get_content_type() for part in message.walk()],
    }
    return render(request, "panel/dev_mail_detail.html", context)
