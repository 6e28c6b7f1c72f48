"""The pages' Django forms validate API input too (one rule, one place): a JSON object is
bound to the form, and its errors become the API's usual 400 problem with `errors`."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError


def body_of(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"": ["Send a JSON object."]})
    return dict(request.data)


def validated(form):
    """FORM, valid; else a ValidationError naming each field (`non_field_errors` for the rest)."""
    if not form.is_valid():
        errors = {
            ("non_field_errors" if name == "__all__" else name): list(messages)
            for name, messages in form.errors.items()
        }
        raise ValidationError(errors)
    return form
