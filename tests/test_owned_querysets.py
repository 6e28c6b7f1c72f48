"""The one ownership rule (accounts.querysets.OwnedQuerySet) as each owned model applies it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import HostingAccount
from provisioning.dns.models import Zone
from provisioning.models import Database, DatabaseRole, Server


@pytest.fixture
def owned(alice_account, bob_account):
    """One database, role and zone for each of alice and bob (panel rows only)."""
    server = Server.objects.create(name="rows", address="127.0.0.1", roles=["database", "dns"])
    rows = {}
    for account in (alice_account, bob_account):
        database = Database.objects.create(
            account=account, server=server, name=f"{account.prefix}_a", owner_role=account.prefix
        )
        role = DatabaseRole.objects.create(database=database, name=f"{account.prefix}_r")
        zone = Zone.objects.create(
            account=account, server=server, name=f"{account.prefix}.test.", display_name="z"
        )
        rows[account.prefix] = {
            HostingAccount: account,
            Database: database,
            DatabaseRole: role,
            Zone: zone,
        }
    return rows


MODELS = [HostingAccount, Database, DatabaseRole, Zone]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_customer_sees_only_their_own_rows(model, owned, alice_account):
    visible = model.objects.for_user(alice_account.owner)
    assert list(visible) == [owned["alice"][model]]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_an_admin_sees_every_row(model, owned, admin_user):
    assert set(model.objects.for_user(admin_user)) == {owned[p][model] for p in ("alice", "bob")}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_signed_out_visitor_sees_nothing(model, owned):
    assert not model.objects.for_user(AnonymousUser()).exists()


def test_for_user_stays_chainable(owned, alice_account):
    visible = Database.objects.for_user(alice_account.owner).counting_quota()
    assert list(visible) == [owned["alice"][Database]]
