"""One error model: every domain error maps to one status, one problem document, one page."""

from __future__ import annotations

import json

import pytest
from django import forms
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.exceptions import AccountsError, PlanInUse
from monitoring.exceptions import (
    AuthenticationFailed,
    LengthRequired,
    PayloadError,
    PayloadTooLarge,
    UnsupportedMediaType,
    WrongServer,
)
from panel import errors
from provisioning.exceptions import (
    BusyResource,
    JobStateError,
    NameRefused,
    NoServerAvailable,
    NotVerified,
    QuotaExceeded,
)
from security.exceptions import EmailNotVerified, InvalidCode, RateLimited, TokenExpired

EXPECTED = [
    (AccountsError("x"), 400),
    (PlanInUse("x"), 409),
    (InvalidCode(), 400),
    (EmailNotVerified(), 403),
    (TokenExpired(), 400),
    (RateLimited("slow down", retry_after=30), 429),
    (PayloadError("x"), 400),
    (AuthenticationFailed("x"), 401),
    (WrongServer("x"), 403),
    (LengthRequired("x"), 411),
    (PayloadTooLarge("x"), 413),
    (UnsupportedMediaType("x"), 415),
    (NotVerified("x"), 403),
    (QuotaExceeded("x"), 409),
    (NameRefused("x"), 400),
    (BusyResource("x"), 409),
    (NoServerAvailable("x"), 503),
    (JobStateError("x"), 409),
]


@pytest.mark.parametrize(("exc", "status"), EXPECTED, ids=lambda v: type(v).__name__)
def test_every_error_of_every_app_is_a_domain_error_with_one_status(exc, status):
    assert isinstance(exc, errors.DomainError)
    assert errors.status_of(exc) == exc.status == status
    assert exc.code and exc.code == errors.problem(exc)["code"]


def test_a_problem_document_follows_rfc_9457_and_throttling_says_when():
    response = errors.problem_response(RateLimited("Too many tries.", retry_after=42))
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "42"
    body = json.loads(response.content)
    assert body == {
        "type": "about:blank",
        "title": "Too many attempts",
        "status": 429,
        "detail": "Too many tries.",
        "code": "throttled",
        "retry_after": 42,
    }


def test_a_throttled_error_without_a_wait_still_carries_retry_after():
    assert errors.headers_of(errors.Throttled()) == {"Retry-After": "60"}


class NameForm(forms.Form):
    name = forms.CharField(required=False)


def test_the_field_of_an_error_goes_on_that_form_field_only_if_the_form_has_it():
    form = NameForm(data={})
    errors.add_to_form(form, NameRefused("That name is taken."))
    assert "That name is taken." in form.errors["name"]
    form = NameForm(data={})
    errors.add_to_form(form, QuotaExceeded("Quota used up.", field="no_such_field"))
    assert "Quota used up." in form.non_field_errors()


@pytest.mark.parametrize(
    ("path", "headers", "content_type"),
    [
        ("/api/v1/anything", {}, "application/problem+json"),
        ("/databases/", {"HTTP_ACCEPT": "application/json"}, "application/problem+json"),
        ("/databases/", {"HTTP_HX_REQUEST": "true"}, "text/html; charset=utf-8"),
        ("/databases/", {}, "text/html; charset=utf-8"),
    ],
)
def test_an_uncaught_domain_error_becomes_its_status_not_a_500(db, path, headers, content_type):
    request = RequestFactory().get(path, **headers)
    middleware = errors.DomainErrorMiddleware(lambda r: None)
    exc = NoServerAvailable("No database server is available right now.", retry_after=30)
    response = middleware.process_exception(request, exc)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == content_type
    assert "No database server is available right now." in response.content.decode()
    if "HTTP_HX_REQUEST" in headers:
        assert "<html" not in response.content.decode()


def test_other_exceptions_are_left_to_django(db):
    request = RequestFactory().get("/")
    middleware = errors.DomainErrorMiddleware(lambda r: None)
    assert middleware.process_exception(request, KeyError()) is None


def test_a_throttled_password_reset_request_says_when_to_retry(db, settings):
    settings.SECURITY_EMAIL_LIMIT = 1
    client = Client()
    url = reverse("security:password_reset")
    client.post(url, {"email": "nobody@example.test"})
    response = client.post(url, {"email": "nobody@example.test"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many reset requests" in response.content.decode()
