"""Issue 10 item 17: the phone layout. The navigation drawer opens and closes (its button, a
tap beside it, Escape), and no table cuts columns off: each one scrolls within the page."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from playwright.sync_api import expect

from provisioning.databases.models import Database
from provisioning.dns.models import Record, Zone
from provisioning.engine.models import ProvisioningJob
from provisioning.servers.models import Server
from security import audit

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 740}

# For every table: does it fit, or does it (or a wrapper) scroll sideways within the screen?
TABLES_REACHABLE = """() => {
  const width = window.innerWidth, cut = [];
  for (const table of document.querySelectorAll("table")) {
    const right = table.getBoundingClientRect().right;
    if (right <= width + 1 && table.scrollWidth <= table.clientWidth + 1) continue;
    let box = table, ok = false;
    while (box && box !== document.body) {
      const style = getComputedStyle(box);
      const scrolls = ["auto", "scroll"].includes(style.overflowX);
      if (scrolls && box.getBoundingClientRect().right <= width + 1) { ok = true; break; }
      box = box.parentElement;
    }
    if (!ok) cut.push(table.querySelector("th") ? table.querySelector("th").textContent : "table");
  }
  // What widens the page, for the failure message: elements sticking out of a parent that fits.
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const out = el.getBoundingClientRect().right > width + 1;
    if (out && el.parentElement.getBoundingClientRect().right <= width + 1) {
      wide.push(`${el.tagName}.${el.className} in ${el.parentElement.className}`);
    }
  }
  return {cut, page: document.documentElement.scrollWidth, width, wide};
}"""


def _sidebar_shown(page) -> bool:
    box = page.locator(".sidebar").bounding_box()
    return box is not None and box["x"] >= -1


def test_the_navigation_drawer_opens_and_closes_on_a_phone(browser, alice_client):
    page = browser.open(alice_client, reverse("accounts:dashboard"), viewport=PHONE).page
    burger = page.locator(".burger")
    expect(burger).to_be_visible()
    page.wait_for_timeout(300)
    assert not _sidebar_shown(page)
    for close in (
        lambda: page.locator(".nav-close").click(),
        lambda: page.mouse.click(PHONE["width"] - 20, PHONE["height"] // 2),  # beside it
        lambda: page.keyboard.press("Escape"),
    ):
        burger.click()
        page.wait_for_timeout(300)  # the slide-in transition
        assert _sidebar_shown(page)
        close()
        page.wait_for_timeout(300)
        assert not _sidebar_shown(page)
        expect(burger).to_be_visible()


def _wide_data(alice_account, admin_user):
    server = Server.objects.create(
        name="db-server-with-a-long-name", address="127.0.0.1", roles=["database"]
    )
    db = Database.objects.create(
        account=alice_account,
        server=server,
        name="alice_a_rather_long_database_name",
        owner_role="alice_a_rather_long_database_name",
    )
    ProvisioningJob.objects.create(
        kind="database.create",
        resource_type=ContentType.objects.get_for_model(Database),
        resource_id=db.pk,
        resource_label=db.name,
        lock_scope=db.lock_scope,
        account=alice_account,
        server=server,
    )
    audit.record(admin_user, "database.created", target=db, server=server.name, note="x" * 60)
    zone = Zone.objects.create(
        account=alice_account,
        server=server,
        name="alice-shop.test.",
        display_name="alice-shop.test",
        state="active",
    )
    Record.objects.create(
        zone=zone,
        name="selector1._domainkey.alice-shop.test.",
        type="TXT",
        ttl=3600,
        content='"v=DKIM1; k=rsa; p=' + "MIIBIjANBgkqhkiG9w0B" * 8 + '"',
    )
    return zone


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("alice_client", reverse("security:settings")),
        ("alice_client", reverse("provisioning:database_list")),
        ("admin_client", reverse("security:audit")),
        ("admin_client", reverse("provisioning:job_list")),
        ("admin_client", reverse("provisioning:admin_databases")),
        ("alice_client", "zone"),
    ],
)
def test_no_table_cuts_columns_on_a_phone(
    request, browser, alice_account, admin_user, persona, path
):
    zone = _wide_data(alice_account, admin_user)
    if path == "zone":
        path = reverse("dns:zone_detail", args=[zone.pk])
    client = request.getfixturevalue(persona)
    page = browser.open(client, path, viewport=PHONE).page
    expect(page.locator("table").first).to_be_visible()
    result = page.evaluate(TABLES_REACHABLE)
    assert result["cut"] == [], result
    assert result["page"] <= result["width"] + 1, result
