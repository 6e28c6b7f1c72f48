"""security.redirects.safe_next_url: the one check of `next` parameters (login, sudo)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from security.redirects import safe_next_url


@pytest.fixture
def request_(settings):
    settings.ALLOWED_HOSTS = ["panel.test"]
    return RequestFactory().get("/", HTTP_HOST="panel.test")


@pytest.mark.parametrize("url", ["/databases/", "/x?y=1", "http://panel.test/ok"])
def test_it_keeps_a_url_on_this_site(request_, url):
    assert safe_next_url(request_, url) == url


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "", None]
)
def test_it_replaces_another_site_or_nothing_with_the_default(request_, url):
    assert safe_next_url(request_, url) == "/"
    assert safe_next_url(request_, url, default="/home/") == "/home/"


def test_a_secure_request_refuses_a_plain_http_target(settings):
    settings.ALLOWED_HOSTS = ["panel.test"]
    secure = RequestFactory().get("/", HTTP_HOST="panel.test", secure=True)
    assert safe_next_url(secure, "http://panel.test/x") == "/"
    assert safe_next_url(secure, "https://panel.test/x") == "https://panel.test/x"
