"""The mail API: same services as the pages, refusals as problem+json, others' objects 404."""

from __future__ import annotations

import pytest

from provisioning.engine.models import ProvisioningJob
from provisioning.mail.models import Alias, Mailbox
from tests.api.conftest import make_token, token_client
from tests.mailhosting.conftest import make_domain


@pytest.fixture
def domain(alice_account, mail_server_row, domain_name):
    return make_domain(alice_account, domain_name, mail_server_row)


@pytest.fixture
def api(alice_account):
    return token_client(make_token(alice_account.owner, {"mail": "write"}))


def test_lists_show_own_domains_only(api, domain, bob_account, mail_server_row):
    make_domain(bob_account, "bob.example.test", mail_server_row)
    names = [row["name"] for row in api.get("/api/v1/mail/domains/").json()["results"]]
    assert names == [domain.name]


def test_records_are_listed_for_publishing(api, domain):
    rows = api.get(f"/api/v1/mail/domains/{domain.pk}/records/").json()
    assert {(r["name"], r["type"]) for r in rows} >= {
        (f"{domain.name}.", "MX"),
        (f"hearth1._domainkey.{domain.name}.", "TXT"),
        (f"_dmarc.{domain.name}.", "TXT"),
    }


def test_a_bad_local_part_is_a_400_problem_and_writes_nothing(api, domain):
    response = api.post(
        "/api/v1/mail/mailboxes/",
        {"domain": domain.pk, "local_part": "a..b", "password": ""},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "two dots" in response.json()["detail"]
    assert not Mailbox.objects.exists() and not ProvisioningJob.objects.exists()


def test_another_accounts_domain_is_a_404(domain, bob_account):
    bob = token_client(make_token(bob_account.owner, {"mail": "write"}))
    response = bob.post(
        "/api/v1/mail/aliases/",
        {"domain": domain.pk, "local_part": "x", "destinations": ["y@elsewhere.test"]},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Alias.objects.exists()


def test_an_alias_is_accepted_with_its_job(api, domain):
    response = api.post(
        "/api/v1/mail/aliases/",
        {"domain": domain.pk, "local_part": "", "destinations": ["boss@elsewhere.test"]},
        content_type="application/json",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["alias"]["address"] == f"@{domain.name}"
    assert ProvisioningJob.objects.get().kind == "alias.create"


def test_a_read_token_cannot_write(alice_account, domain):
    reader = token_client(make_token(alice_account.owner, {"mail": "read"}))
    assert reader.get("/api/v1/mail/domains/").status_code == 200
    assert reader.delete(f"/api/v1/mail/domains/{domain.pk}/").status_code == 403


def test_lists_do_not_grow_queries_per_row(api, domain, django_assert_max_num_queries):
    for i in range(30):
        Mailbox.objects.create(
            domain=domain, local_part=f"u{i}", address=f"u{i}@{domain.name}", quota_mb=1
        )
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/mail/mailboxes/").json()["results"]) == 30


def test_mailbox_actions_are_accepted_with_their_jobs(api, domain):
    response = api.post(
        "/api/v1/mail/mailboxes/",
        {"domain": domain.pk, "local_part": "joe", "quota_mb": 5, "password": ""},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    shown = body["password"]  # generated, shown once
    assert shown and len(shown) >= 12
    box = Mailbox.objects.get(address=f"joe@{domain.name}")
    assert body["mailbox"]["address"] == box.address
    job = ProvisioningJob.objects.get(kind="mailbox.create")
    assert shown not in str(job.params) and job.params["password_hash"].startswith("{ARGON2ID}")
    Mailbox.objects.filter(pk=box.pk).update(state="active")  # as if its job had finished

    base = f"/api/v1/mail/mailboxes/{box.pk}"
    actions = [
        ("post", "/password/", {"password": ""}, "mailbox.password"),
        ("post", "/quota/", {"quota_mb": 8}, "mailbox.quota"),
        (
            "put",
            "/vacation/",
            {"subject": "Away", "body": "Back soon.", "start": None, "end": None},
            "mailbox.vacation",
        ),
        ("delete", "/", None, "mailbox.delete"),
    ]
    for method, path, data, kind in actions:
        call = getattr(api, method)
        body = {} if data is None else {"data": data, "content_type": "application/json"}
        response = call(base + path, **body)
        assert response.status_code == 202, (path, response.content)
        assert ProvisioningJob.objects.filter(kind=kind).count() == 1
        Mailbox.objects.filter(pk=box.pk).update(state="active")
    assert response.json()["job"]


def test_an_auto_reply_without_dates_is_accepted_and_always_on(api, domain):
    box = Mailbox.objects.create(
        domain=domain, local_part="off", address=f"off@{domain.name}", quota_mb=5, state="active"
    )
    away = {"subject": "Away", "body": "Back soon."}  # start and end are optional
    url = f"/api/v1/mail/mailboxes/{box.pk}/vacation/"
    response = api.put(url, away, content_type="application/json")
    assert response.status_code == 202, response.content
    box.refresh_from_db()
    assert (box.vacation.subject, box.vacation.start, box.vacation.end) == ("Away", None, None)
