"""The zone page in a real browser: records staged inline (htmx), applied, answered over DNS."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from provisioning.dns import services
from provisioning.dns.models import Zone
from tests.dns.dnsquery import answers
from tests.provisioning.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _zone_page(browser, client, account, zone_name):
    """A new zone, made active by the session's worker, opened in the browser."""
    zone = services.create_zone(account, zone_name, actor=account.owner)
    wait_for(lambda: Zone.objects.get(pk=zone.pk).state == "active")
    return zone, browser.open(client, f"/dns/zones/{zone.pk}/")


def test_records_are_staged_edited_and_applied_inline(
    browser, alice_client, alice_account, dns_server, pdns_address, zone_name, celery_worker
):
    zone, opened = _zone_page(browser, alice_client, alice_account, zone_name)
    page = opened.page
    form = page.locator("form.record-form")
    form.locator("[name=name]").fill("www")
    form.locator("[name=type]").select_option("A")
    form.locator("[name=value]").fill("192.0.2.300")
    form.locator("button[type=submit]").click()
    expect(page.locator("form.record-form .error")).to_contain_text("not a valid IPv4 address")
    form = page.locator("form.record-form")
    form.locator("[name=value]").fill("192.0.2.30")
    form.locator("button[type=submit]").click()
    expect(page.locator("#staged")).to_contain_text(f"+ www.{zone_name} 3600 A 192.0.2.30")
    row = page.locator("tr", has_text="192.0.2.30")
    row.get_by_role("link", name="Edit").click()
    edit = page.locator("tr form", has=page.locator("[name=value]"))
    expect(edit.locator("[name=value]")).to_have_value("192.0.2.30")
    edit.locator("[name=value]").fill("192.0.2.31")
    edit.get_by_role("button", name="Stage change").click()
    expect(page.locator("#staged")).to_contain_text("192.0.2.31")
    expect(page.locator("#staged")).not_to_contain_text("192.0.2.30")
    page.get_by_role("button", name="Apply changes").click()
    expect(page.locator("[data-state=active]")).to_be_visible(timeout=20_000)
    expect(page.locator("#staged")).to_have_count(0)
    assert answers(pdns_address, f"www.{zone_name}", "A") == {"192.0.2.31"}
    assert opened.htmx_requests, "the record forms did not go through htmx"
    assert opened.problems == []


def test_a_refused_htmx_request_says_why_in_a_toast_and_stages_nothing(
    browser, alice_client, alice_account, dns_server, pdns_address, zone_name, celery_worker
):
    """The input guard refuses a NUL with 400 before the form's view runs; htmx swaps
    nothing on a 4xx, so the page shows the server's sentence in an error toast."""
    zone, opened = _zone_page(browser, alice_client, alice_account, zone_name)
    page = opened.page
    form = page.locator("form.record-form")
    form.locator("[name=name]").fill("www")
    form.locator("[name=type]").select_option("TXT")
    form.locator("[name=value]").evaluate("(field) => { field.value = 'v=spf1\\u0000 -all'; }")
    form.locator("button[type=submit]").click()
    toast = page.locator(".toasts .toast-error")
    expect(toast).to_contain_text("The field “value” in the form contains a NUL character.")
    expect(page.locator("#staged")).to_have_count(0)
    assert not Zone.objects.get(pk=zone.pk).records.filter(type="TXT").exists()
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)
    # The one console error is htmx's own note of the 400, nothing of the page's script.
    assert [p for p in opened.problems if "400" not in p] == []
