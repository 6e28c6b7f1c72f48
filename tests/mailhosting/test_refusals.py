"""Bad input to the mail services: a clear message, and nothing written (no row, no job)."""

from __future__ import annotations

import pytest

from provisioning.dns.models import Zone
from provisioning.engine.models import ProvisioningJob
from provisioning.exceptions import ProvisioningError, QuotaExceeded
from provisioning.mail import aliases, domains, mailboxes
from provisioning.mail.models import Alias, Mailbox, MailDomain, Vacation
from tests.mailhosting.conftest import make_domain


def _nothing_written(before_jobs: int) -> None:
    assert ProvisioningJob.objects.count() == before_jobs


@pytest.fixture
def domain(alice_account, mail_server_row, domain_name):
    return make_domain(alice_account, domain_name, mail_server_row)


@pytest.mark.parametrize(
    ("local", "message"),
    [
        ("a b", "spaces"),
        ('"q"', "Quotes"),
        (".lead", "start or end with a dot"),
        ("a..b", "two dots"),
        ("x" * 65, "64 bytes"),
        ("ev\r\nil", "carriage return"),
        ("nul\x00", "NUL"),
    ],
)
def test_mailbox_local_parts_are_refused(domain, alice_account, local, message):
    jobs = ProvisioningJob.objects.count()
    with pytest.raises(ProvisioningError, match=message) as caught:
        mailboxes.create_mailbox(domain, local, password="Zx9!kq2#Lmwe", actor=alice_account.owner)
    assert caught.value.field == "local_part"
    assert not Mailbox.objects.exists()
    _nothing_written(jobs)


def test_weak_and_overlong_passwords_are_refused(domain, alice_account):
    for password, message in [("password", "too common|too short"), ("Aa1!" * 300, "1024")]:
        with pytest.raises(ProvisioningError, match=message):
            mailboxes.create_mailbox(domain, "joe", password=password, actor=alice_account.owner)
    assert not Mailbox.objects.exists()
    assert not ProvisioningJob.objects.exists()


def test_quota_above_the_plan_is_refused(domain, alice_account):
    alice_account.plan.mail_quota_mb = 100
    alice_account.plan.save()
    with pytest.raises(QuotaExceeded, match="100 MB of mail in all; 100 MB are left"):
        mailboxes.create_mailbox(
            domain, "joe", quota_mb=101, password="Zx9!kq2#Lmwe", actor=alice_account.owner
        )
    assert not Mailbox.objects.exists()


def test_quota_below_current_use_is_refused(domain, alice_account):
    box = Mailbox.objects.create(
        domain=domain,
        local_part="joe",
        address=f"joe@{domain.name}",
        quota_mb=50,
        used_bytes=30 * 1024 * 1024,
        state="active",
    )
    with pytest.raises(ProvisioningError, match="already holds 30.0 MB"):
        mailboxes.change_quota(box, 20, actor=alice_account.owner)
    box.refresh_from_db()
    assert (box.quota_mb, box.state) == (50, "active")
    assert not ProvisioningJob.objects.exists()


def test_mailbox_count_is_limited_by_the_plan(domain, alice_account):
    alice_account.plan.max_mailboxes = 0
    alice_account.plan.save()
    with pytest.raises(QuotaExceeded, match="allows 0 mailboxes"):
        mailboxes.create_mailbox(domain, "joe", password="Zx9!kq2#Lmwe", actor=alice_account.owner)


def test_a_domain_in_another_accounts_zone_is_refused(
    alice_account, bob_account, mail_server_row, domain_name
):
    Zone.objects.create(
        account=bob_account,
        server=mail_server_row,
        name=domain_name + ".",
        display_name=domain_name,
        state="active",
    )
    with pytest.raises(ProvisioningError, match="belongs to another account"):
        domains.create_domain(alice_account, "sub." + domain_name, actor=alice_account.owner)
    assert not MailDomain.objects.exists()
    assert not ProvisioningJob.objects.exists()


def test_a_domain_used_by_another_account_is_refused(
    alice_account, bob_account, mail_server_row, domain_name
):
    make_domain(bob_account, domain_name, mail_server_row)
    with pytest.raises(ProvisioningError, match="already used by another account"):
        domains.create_domain(alice_account, domain_name.upper(), actor=alice_account.owner)
    assert MailDomain.objects.count() == 1


@pytest.mark.parametrize("name", ["exa mple.com", "bad\ndomain.com", "nodot"])
def test_bad_domain_names_are_refused(alice_account, mail_server_row, name):
    with pytest.raises(ProvisioningError):
        domains.create_domain(alice_account, name, actor=alice_account.owner)
    assert not MailDomain.objects.exists()


def test_alias_loops_are_refused(domain, alice_account):
    owner = alice_account.owner
    a, b = f"a@{domain.name}", f"b@{domain.name}"
    aliases.create_alias(domain, "a", [b], actor=owner)
    with pytest.raises(ProvisioningError, match="loop"):
        aliases.create_alias(domain, "b", [a], actor=owner)
    with pytest.raises(ProvisioningError, match="itself"):
        aliases.create_alias(domain, "c", [f"c@{domain.name}"], actor=owner)
    assert list(Alias.objects.values_list("address", flat=True)) == [a]
    assert ProvisioningJob.objects.filter(kind="alias.create").count() == 1


def test_a_catch_all_cannot_feed_itself(domain, alice_account):
    owner = alice_account.owner
    with pytest.raises(ProvisioningError, match="catch-all would receive its own mail"):
        aliases.create_alias(domain, "", [f"nobody@{domain.name}"], actor=owner)
    with pytest.raises(ProvisioningError, match="before the @"):
        aliases.create_alias(domain, "x", [f"@{domain.name}"], actor=owner)
    assert not Alias.objects.exists()


def test_a_loop_through_the_catch_all_is_refused(domain, alice_account):
    owner = alice_account.owner
    aliases.create_alias(domain, "*", ["someone@elsewhere.test"], actor=owner)
    Alias.objects.filter(address=f"@{domain.name}").update(destinations=[f"z@{domain.name}"])
    with pytest.raises(ProvisioningError, match="loop"):
        aliases.create_alias(domain, "z", [f"unknown@{domain.name}"], actor=owner)


def test_too_many_destinations_are_refused(domain, alice_account, settings):
    settings.MAIL_ALIAS_MAX_DESTINATIONS = 3
    many = [f"d{i}@elsewhere.test" for i in range(4)]
    with pytest.raises(ProvisioningError, match="at most 3"):
        aliases.create_alias(domain, "list", many, actor=alice_account.owner)
    assert not Alias.objects.exists()


def test_an_alias_cannot_shadow_a_mailbox(domain, alice_account):
    Mailbox.objects.create(
        domain=domain, local_part="joe", address=f"joe@{domain.name}", quota_mb=5, state="active"
    )
    with pytest.raises(ProvisioningError, match="is a mailbox"):
        aliases.create_alias(domain, "joe", ["x@elsewhere.test"], actor=alice_account.owner)


def test_an_unverified_customer_cannot_add_mail(domain, alice_account):
    alice_account.owner.email_verified_at = None
    alice_account.owner.save()
    with pytest.raises(ProvisioningError, match="Confirm your email"):
        aliases.create_alias(domain, "x", ["y@elsewhere.test"], actor=alice_account.owner)


def test_mail_domain_count_is_limited_by_the_plan(alice_account, mail_server_row, domain_name):
    alice_account.plan.max_mail_domains = 0
    alice_account.plan.save()
    with pytest.raises(QuotaExceeded, match="allows 0 mail domains"):
        domains.create_domain(alice_account, domain_name, actor=alice_account.owner)
    assert not MailDomain.objects.exists()
    assert not ProvisioningJob.objects.exists()


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("Away\r\nBcc: evil@example.org", "Back soon.", "subject"),
        ("Away", "Back\x00 soon.", "body"),
    ],
)
def test_auto_reply_fields_refuse_line_breaks_and_nul(domain, alice_account, subject, body, field):
    box = Mailbox.objects.create(
        domain=domain, local_part="jo", address=f"jo@{domain.name}", quota_mb=5, state="active"
    )
    with pytest.raises(ProvisioningError) as caught:
        mailboxes.set_vacation(
            box, subject=subject, body=body, start=None, end=None, actor=alice_account.owner
        )
    assert caught.value.field == field
    assert not Vacation.objects.exists()
    assert not ProvisioningJob.objects.exists()
    box.refresh_from_db()
    assert box.state == "active"


@pytest.mark.parametrize(
    ("destinations", "message"),
    [
        # a line break only separates addresses: the injected header is not an address
        ("a@example.org\r\nBcc: evil@example.org", "Bcc: is not an email address"),
        ("a@example.org\x00b@example.org", "NUL"),
    ],
)
def test_alias_destinations_refuse_header_injection(domain, alice_account, destinations, message):
    with pytest.raises(ProvisioningError, match=message):
        aliases.create_alias(domain, "team", destinations, actor=alice_account.owner)
    assert not Alias.objects.exists()
    assert not ProvisioningJob.objects.exists()
