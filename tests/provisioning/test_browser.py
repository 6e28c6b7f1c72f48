"""Database and server pages in a real browser (system Chromium via Playwright): live state
that stops polling, and destructive buttons that ask first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from provisioning.databases import services
from provisioning.engine import dispatch
from provisioning.engine.choices import ResourceState
from provisioning.models import DatabaseRole, ProvisioningJob
from provisioning.servers.choices import ServerStatus
from tests.provisioning.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser_page(browser):
    """open_(client, path) -> (page, script problems, polling requests seen)."""

    def open_(client, path: str):
        opened = browser.open(client, path)
        return opened.page, opened.problems, opened.htmx_requests

    return open_


def _settled(resource, state=ResourceState.ACTIVE):
    """Wait until the worker brought RESOURCE to STATE."""
    model = type(resource)
    wait_for(lambda: model.objects.filter(pk=resource.pk, state=state).exists())
    return resource


def _active_database(account):
    db, _ = services.create_database(account, "shop", actor=None)
    return _settled(db)


def test_the_page_follows_the_job_and_stops_polling_when_it_ends(
    browser_page, alice_client, alice_account, db_server, celery_worker
):
    with transaction.atomic():  # held back until the test lets it run
        db, _ = services.create_database(alice_account, "shop", actor=None)
        job = ProvisioningJob.objects.for_resource(db).get()
        job.next_attempt_at = timezone.now() + timedelta(hours=1)
        job.save(update_fields=["next_attempt_at"])
    page, problems, polls = browser_page(alice_client, f"/provisioning/databases/{db.pk}/")
    expect(page.locator("[data-state=pending]")).to_be_visible()
    expect(page.locator(".steps li")).to_have_count(3)
    page.wait_for_timeout(2500)
    assert polls, "the page does not poll while the job runs"
    ProvisioningJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    dispatch.enqueue(job.pk, job.server_id)
    expect(page.locator("[data-state=active]")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="Add role")).to_be_visible()  # full page again
    seen = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == seen  # polling stopped
    assert problems == []


def test_removing_a_role_asks_first(
    browser_page, alice_client, alice_account, db_server, celery_worker
):
    db = _active_database(alice_account)
    role, _ = services.add_role(db, "reader", privilege="readonly", actor=None)
    _settled(role)
    page, problems, _ = browser_page(alice_client, f"/provisioning/databases/{db.pk}/")
    asked: list[str] = []

    def answer(dialog, accept: bool):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Remove").click()
    page.wait_for_timeout(500)
    assert asked == ["Remove the role alice_reader? Objects it owns go to alice_shop."]
    assert DatabaseRole.objects.get(pk=role.pk).state == ResourceState.ACTIVE
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Remove").click()
    expect(page.locator(".toast")).to_contain_text("is being removed")
    wait_for(lambda: not DatabaseRole.objects.filter(pk=role.pk).exists())  # removed for good
    assert problems == []


def test_retiring_a_server_asks_first(browser_page, admin_client, db_server):
    page, problems, _ = browser_page(admin_client, reverse("provisioning:server_list"))
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Retire").click()
    page.wait_for_timeout(500)
    assert asked == ["Retire target? No new resources will be placed on it."]
    db_server.refresh_from_db()
    assert db_server.status == ServerStatus.ACTIVE
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retire").click()
    expect(page.locator(".toast")).to_contain_text("is retired")
    db_server.refresh_from_db()
    assert db_server.status == ServerStatus.RETIRED
    assert problems == []
