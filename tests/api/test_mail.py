"""Mail through the API with hth_ tokens, against the real servers: PowerDNS answers the
records a domain's job published, Postfix and Dovecot act on what the jobs wrote."""

from __future__ import annotations

import imaplib
import smtplib

import pytest

from provisioning.engine.models import ProvisioningJob
from provisioning.mail import records
from provisioning.mail.endpoints import endpoints_for
from provisioning.mail.models import Mailbox, MailDomain
from tests.api.conftest import make_token, token_client
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers
from tests.mailstack import (
    dkim_store,
    imap_login,
    mail_database_rows,
    message,
    send,
    unique_domain,
    wait_for_message,
)

pytestmark = pytest.mark.django_db(transaction=True)
JSON = "application/json"
MAIL = {"mail": "write"}
NOTHING = {"domains": 0, "mailboxes": 0, "aliases": 0, "dkim_keys": 0}


def post(client, path, body=None):
    return client.post(path, body or {}, content_type=JSON)


def txt(address, name: str) -> set[str]:
    return {"".join(t.split('"')[1::2]) for t in answers(address, name, "TXT")}


def done(client, accepted) -> dict:
    """Run the job a 202 answer points at; the job as the API shows it afterwards."""
    assert accepted.status_code == 202, accepted.content
    assert accepted["Location"] == accepted.json()["job"]
    run_jobs()
    response = client.get(accepted["Location"])
    assert response.status_code == 200, response.content  # the token reads its own job
    job = response.json()
    assert job["state"] == "done", (job["error_message"], [s["log"] for s in job["steps"]])
    return job


@pytest.fixture
def mail_api(alice_account):
    return token_client(make_token(alice_account.owner, MAIL))


@pytest.fixture
def cleanup(mail_backend):
    """Mail domains a test made on the mail server, removed there whatever happened."""
    made: list[str] = []
    yield made
    for name in made:
        mail_backend.remove_domain(name)


def test_a_domain_is_published_rotated_and_removed_through_the_api(
    mail_api, hosted_zone, mail_server, pdns_address, cleanup
):
    name = hosted_zone.name.rstrip(".")
    cleanup.append(name)
    response = post(mail_api, "/api/v1/mail/domains/", {"name": name, "dmarc_policy": "reject"})
    assert response.json()["domain"]["state"] == "pending"
    assert done(mail_api, response)["kind"] == "mail_domain.create"
    url = f"/api/v1/mail/domains/{response.json()['domain']['id']}/"
    shown = mail_api.get(url).json()
    first = shown["dkim_selector"]
    assert shown["state"] == "active" and shown["error_message"] == ""

    host = endpoints_for(mail_server).hostname
    assert answers(pdns_address, hosted_zone.name, "MX") == {f"10 {host}."}
    assert txt(pdns_address, records.dkim_name(name, first)) == {shown["dkim_txt"]}
    assert txt(pdns_address, f"_dmarc.{name}.") == {"v=DMARC1; p=reject"}
    assert dkim_store(name) == ({first}, first)  # rspamd signs with the published key

    rotated = post(mail_api, url + "rotate-dkim/")
    assert done(mail_api, rotated)["kind"] == "mail_domain.rotate_dkim"
    shown = mail_api.get(url).json()
    second = shown["dkim_selector"]
    assert second != first and shown["dkim_old_selector"] == first
    assert txt(pdns_address, records.dkim_name(name, second)) == {shown["dkim_txt"]}
    assert txt(pdns_address, records.dkim_name(name, first))  # kept until it is retired
    assert dkim_store(name) == ({first, second}, second)

    assert done(mail_api, mail_api.delete(url))["kind"] == "mail_domain.delete"
    assert mail_api.get(url).status_code == 404
    assert not MailDomain.objects.filter(name=name).exists()
    assert mail_database_rows(name) == NOTHING
    assert dkim_store(name) == (set(), None)
    assert answers(pdns_address, hosted_zone.name, "MX") == set()
    for gone in (records.dkim_name(name, first), records.dkim_name(name, second)):
        assert txt(pdns_address, gone) == set()
    assert txt(pdns_address, f"_dmarc.{name}.") == set()
    assert answers(pdns_address, hosted_zone.name, "NS")  # the zone itself stays


@pytest.fixture
def live_domain(mail_api, mail_server, cleanup) -> dict:
    """A mail domain (zone elsewhere) made through the API, its job run."""
    name = unique_domain("api")
    cleanup.append(name)
    response = post(mail_api, "/api/v1/mail/domains/", {"name": name})
    done(mail_api, response)
    return response.json()["domain"]


def make_box(client, domain: dict, local: str) -> tuple[dict, str]:
    body = {"domain": domain["id"], "local_part": local, "quota_mb": 20, "password": ""}
    response = post(client, "/api/v1/mail/mailboxes/", body)
    done(client, response)
    return response.json()["mailbox"], response.json()["password"]


def refused_over_smtp(recipient: str) -> tuple[int, bytes]:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send("x@example.org", recipient, message("x@example.org", recipient, "refused"))
    return refused.value.recipients[recipient]


def test_a_deleted_alias_no_longer_takes_mail(mail_api, live_domain):
    box, password = make_box(mail_api, live_domain, "joe")
    alias_address = f"sales@{live_domain['name']}"
    response = post(
        mail_api,
        "/api/v1/mail/aliases/",
        {"domain": live_domain["id"], "local_part": "sales", "destinations": [box["address"]]},
    )
    done(mail_api, response)
    send("x@example.org", alias_address, message("x@example.org", alias_address, "via alias"))
    assert b"via alias" in wait_for_message(box["address"], password, "via alias")

    alias_url = f"/api/v1/mail/aliases/{response.json()['alias']['id']}/"
    assert done(mail_api, mail_api.delete(alias_url))["kind"] == "alias.delete"
    assert mail_api.get(alias_url).status_code == 404
    code, reply = refused_over_smtp(alias_address)
    assert code == 550 and b"User unknown" in reply
    assert mail_database_rows(live_domain["name"])["aliases"] == 0


def test_an_admin_suspends_a_mailbox_and_its_mail_is_kept(mail_api, admin_user, live_domain):
    admin_api = token_client(make_token(admin_user, {"admin": "write"}))  # that scope only
    box, password = make_box(mail_api, live_domain, "kim")
    address = box["address"]
    send("x@example.org", address, message("x@example.org", address, "before"))
    wait_for_message(address, password, "before")
    suspend_url = f"/api/v1/admin/mail/mailboxes/{box['id']}/suspend/"

    # The customer's own token, even with mail:write, is no administrator's.
    refused = post(mail_api, suspend_url, {"suspended": True})
    assert refused.status_code == 403 and refused.json()["code"] == "admin_required"

    suspended = post(admin_api, suspend_url, {"suspended": True})
    assert "/api/v1/admin/jobs/" in suspended["Location"]  # which its admin token may read
    done(admin_api, suspended)
    assert mail_api.get(f"/api/v1/mail/mailboxes/{box['id']}/").json()["suspended"] is True
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(address, password)
    code, reply = refused_over_smtp(address)
    assert code == 550 and b"This mailbox is suspended" in reply
    assert mail_database_rows(live_domain["name"])["mailboxes"] == 1

    done(admin_api, post(admin_api, suspend_url, {"suspended": False}))
    assert Mailbox.objects.get(pk=box["id"]).suspended is False
    send("x@example.org", address, message("x@example.org", address, "after"))
    wait_for_message(address, password, "after")
    assert wait_for_message(address, password, "before")  # the mail from before is still there


def test_tokens_without_the_mail_scope_or_of_another_customer_change_nothing(
    mail_api, alice_account, bob_account, live_domain
):
    box, _password = make_box(mail_api, live_domain, "ann")
    domain_url = f"/api/v1/mail/domains/{live_domain['id']}/"
    box_url = f"/api/v1/mail/mailboxes/{box['id']}/"
    jobs = ProvisioningJob.objects.count()

    no_mail = token_client(make_token(alice_account.owner, {"dns": "write"}))
    for response in (
        no_mail.get("/api/v1/mail/domains/"),
        no_mail.get(domain_url),
        post(no_mail, "/api/v1/mail/domains/", {"name": unique_domain("no")}),
        post(no_mail, domain_url + "rotate-dkim/"),
        no_mail.delete(box_url),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "scope_missing"
        assert "mail:" in response.json()["detail"]

    bob = token_client(make_token(bob_account.owner, MAIL))
    assert bob.get("/api/v1/mail/domains/").json()["results"] == []
    for response in (
        bob.get(domain_url),
        bob.delete(domain_url),
        post(bob, domain_url + "rotate-dkim/"),
        bob.get(box_url),
        bob.delete(box_url),
        post(bob, box_url + "password/", {"password": ""}),
        post(bob, "/api/v1/mail/aliases/", {"domain": live_domain["id"], "local_part": "x",
                                            "destinations": ["y@elsewhere.test"]}),
    ):  # fmt: skip
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"

    assert ProvisioningJob.objects.count() == jobs  # nothing was started
    assert mail_api.get(domain_url).json()["state"] == "active"
    kept = {"domains": 1, "mailboxes": 1, "aliases": 0, "dkim_keys": 1}
    assert mail_database_rows(live_domain["name"]) == kept


def test_a_token_restricted_to_one_mail_domain_follows_that_domains_jobs_only(
    alice_account, mail_api, live_domain, cleanup
):
    other_name = unique_domain("api-other")
    cleanup.append(other_name)
    other = post(mail_api, "/api/v1/mail/domains/", {"name": other_name})
    other_job = other.json()["job"]
    done(mail_api, other)
    only = token_client(
        make_token(alice_account.owner, MAIL, objects=[f"mail:{live_domain['id']}"])
    )
    # Its mailboxes' and aliases' jobs are readable with it (done() reads each job's URL),
    # also the job that deleted a mailbox, once the mailbox is gone.
    box, _password = make_box(only, live_domain, "ann")
    alias = post(
        only,
        "/api/v1/mail/aliases/",
        {"domain": live_domain["id"], "local_part": "info", "destinations": [box["address"]]},
    )
    done(only, alias)
    deleted = done(only, only.delete(f"/api/v1/mail/mailboxes/{box['id']}/"))
    assert deleted["kind"] == "mailbox.delete"
    assert not Mailbox.objects.filter(pk=box["id"]).exists()
    # The other domain's job is not, and the list holds this domain's jobs only.
    assert only.get(other_job).status_code == 404
    listed = only.get("/api/v1/jobs/").json()["results"]
    kinds = sorted(job["kind"] for job in listed)
    assert kinds == [
        "alias.create",
        "mail_domain.create_external",
        "mailbox.create",
        "mailbox.delete",
    ], kinds
    assert mail_api.get(other_job).status_code == 200  # the unrestricted token reads it
