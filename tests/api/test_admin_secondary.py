"""A BIND secondary registered through the API, as on the server page: its secrets stored
encrypted and never shown, its connection tested for real, and zones served by it."""

from __future__ import annotations

import pytest

from provisioning.dns import services
from provisioning.servers.models import Server
from tests.api.test_admin_endpoints import patch, post
from tests.dns.conftest import bind_server, run_jobs  # noqa: F401 - the fixture
from tests.dns.dnsquery import answers, serial

pytestmark = pytest.mark.django_db(transaction=True)


def _body(bind) -> dict:
    return {
        "name": "bind-api",
        "address": bind.host,
        "roles": ["dns-secondary"],
        "dns_secondary": {
            "dns_address": bind.address,
            "rndc_address": bind.rndc_address,
            "tsig_name": bind.tsig_name,
            "rndc_secret": bind.rndc_secret,
            "tsig_secret": bind.tsig_secret,
        },
    }


def test_a_secondary_made_through_the_api_serves_the_zones(
    admin_api,
    alice_account,
    dns_server,
    bind_server,  # noqa: F811
    pdns_address,
    zone_name,
):
    before = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    created = post(admin_api, "/api/v1/admin/servers/", _body(bind_server))
    assert created.status_code == 201, created.content
    shown = created.json()
    assert shown["roles"] == ["dns-secondary"]
    assert shown["dns_secondary"] == {
        "dns_address": bind_server.address,
        "rndc_address": bind_server.rndc_address,
        "tsig_name": bind_server.tsig_name,
    }
    pk = shown["id"]
    for response in (created, admin_api.get(f"/api/v1/admin/servers/{pk}/")):
        text = response.content.decode()
        assert bind_server.tsig_secret not in text and bind_server.rndc_secret not in text
    server = Server.objects.get(pk=pk)
    assert server.credentials_for("dns-secondary") == {
        "rndc_secret": bind_server.rndc_secret,
        "tsig_secret": bind_server.tsig_secret,
    }
    check = post(admin_api, f"/api/v1/admin/servers/{pk}/test/")
    assert check.status_code == 200 and check.json()["ok"] is True, check.json()

    # Joining the role pushes the zones hosted so far; new zones reach it as well.
    run_jobs()
    secondary = (bind_server.host, bind_server.dns_port)
    assert serial(secondary, before.name) == serial(pdns_address, before.name)
    after = services.create_zone(alice_account, "n" + zone_name, actor=alice_account.owner)
    run_jobs()
    assert answers(secondary, after.name, "NS") == answers(pdns_address, after.name, "NS")

    # A rename keeps the connection and the secrets (absent secrets are kept, as on the page).
    renamed = patch(admin_api, f"/api/v1/admin/servers/{pk}/", {"name": "bind-api-2"})
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["dns_secondary"]["tsig_name"] == bind_server.tsig_name
    assert Server.objects.get(pk=pk).credentials_for("dns-secondary")["tsig_secret"]


def test_a_new_secondary_without_its_keys_is_refused_on_its_fields(admin_api, bind_server):  # noqa: F811
    body = _body(bind_server)
    del body["dns_secondary"]["tsig_secret"], body["dns_secondary"]["rndc_secret"]
    body["dns_secondary"]["rndc_address"] = "no port"
    refused = post(admin_api, "/api/v1/admin/servers/", body)
    assert refused.status_code == 400
    assert {
        "dns_secondary.tsig_secret",
        "dns_secondary.rndc_secret",
        "dns_secondary.rndc_address",
    } <= refused.json()["errors"].keys()
    assert "needs this key" in refused.json()["errors"]["dns_secondary.tsig_secret"][0]
    wrong_shape = post(admin_api, "/api/v1/admin/servers/", {**body, "dns_secondary": "bind"})
    assert wrong_shape.status_code == 400 and "dns_secondary" in wrong_shape.json()["errors"]
    assert not Server.objects.filter(name="bind-api").exists()
