"""What views share: mapping domain errors to people, and page-or-fragment rendering."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.shortcuts import render

from provisioning.exceptions import ProvisioningError

logger = logging.getLogger(__name__)


def form_error(form, exc: ProvisioningError) -> None:
    """Show a domain error on the form: on its field when it names one."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


def toast_error(request, exc: ProvisioningError) -> None:
    messages.error(request, str(exc))


def render_page_or_fragment(request, page: str, fragment: str, context: dict):
    """htmx requests get the partial; normal requests the full page (same partial inside)."""
    template = fragment if getattr(request, "htmx", False) else page
    return render(request, template, context)
