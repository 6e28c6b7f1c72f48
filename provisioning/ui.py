"""What views share: mapping domain errors to people, page-or-fragment rendering, confirm-delete."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.forms import ConfirmNameForm
from provisioning.exceptions import ProvisioningError
from security import sudo

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


# The id of a list's live region (templates/partials/_live_poll.html).
LIVE_TARGET = "live-rows"


def in_flight(obj) -> bool:
    """A job not finished yet, or a resource whose job is (pending, updating, deleting)."""
    finished = getattr(obj, "is_finished", None)
    if finished is not None:
        return not finished
    return bool(getattr(obj, "is_busy", False))


def render_live_list(request, page: str, rows: str, context: dict):
    """A list page whose rows update while any of them has a job in flight.

    The rows partial polls itself (htmx, every 2 s) while `live`; its poll gets the partial
    alone, and the answer once nothing is in flight carries no trigger: polling ends.
    """
    context["live"] = any(in_flight(obj) for obj in context["page"].object_list)
    htmx = getattr(request, "htmx", None)
    polled = bool(htmx) and htmx.target == LIVE_TARGET
    return render(request, rows if polled else page, context)


def posted(request):
    """The submitted data, or None for GET (an empty POST still binds the form)."""
    return request.POST if request.method == "POST" else None


def confirm_delete(
    request,
    *,
    expected: str,
    delete: Callable[[], object],
    success: str,
    done: str,
    template: str,
    context: dict,
    needs_sudo: bool = True,
    invalid_status: int = 200,
):
    """The delete page where the name must be typed again: GET shows it, a matching POST deletes.

    `delete` is called once the typed name matches; a domain error it raises goes onto the form.
    `done` is the URL to go to afterwards. Where `needs_sudo`, a session without a fresh password
    is asked for it first. A form with errors answers `invalid_status`.
    """
    if needs_sudo and not sudo.is_active(request):
        return sudo.ask_password(request)
    form = ConfirmNameForm(posted(request), expected=expected)
    if request.method == "POST" and form.is_valid():
        try:
            delete()
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            messages.success(request, success)
            return redirect(done)
    status = invalid_status if form.errors else 200
    return render(request, template, {**context, "form": form}, status=status)
