"""The API reference page: Swagger UI from static/vendor under the strict CSP, no CDN."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from playwright.sync_api import expect


def test_the_page_loads_only_local_assets_under_the_strict_csp(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert all(url.startswith("/static/") for url in assets), assets
    assert "<script>" not in html and "cdn" not in html.lower()
    bundle = finders.find("vendor/swagger-ui/swagger-ui-bundle.js")
    assert bundle and "SwaggerUIBundle" in open(bundle, encoding="utf-8").read(200_000)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'data-schema-url="/api/v1/schema/?format=json"' in html


def test_the_tokens_page_links_to_the_reference(alice_client):
    page = alice_client.get("/security/api-tokens/").content.decode()
    assert 'href="/api/v1/docs/"' in page


@pytest.mark.django_db(transaction=True)
def test_the_reference_renders_every_tag_in_a_real_browser(browser, alice_client):
    opened = browser.open(alice_client, "/api/v1/docs/")
    page = opened.page
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("Hearth API", timeout=60_000)  # the schema is built first
    for tag in ("databases", "dns", "admin", "agent"):
        expect(page.locator(f"#operations-tag-{tag}")).to_be_visible()
    expect(page.locator("#operations-dns-dns_zones_changes_create")).to_be_visible()
    assert not [p for p in opened.problems if "Content Security Policy" in p], opened.problems
