"""Drift fixes and DNS zone templates through the API, checked on the real servers: the
managed PostgreSQL (strays dropped, adopted, databases re-created) and PowerDNS (a
template's records served, a drifted zone re-applied or its server state imported)."""

from __future__ import annotations

import pytest

from provisioning.databases import services as db_services
from provisioning.databases.models import Database
from provisioning.dns.models import Zone, ZoneTemplate
from provisioning.engine.drift import run_drift_check
from provisioning.engine.models import DriftFinding
from security import sudo
from security.models import AuditEvent
from tests.api.conftest import make_token, token_client
from tests.conftest import in_sudo_mode
from tests.dns.conftest import pdns_api, run_jobs
from tests.dns.dnsquery import answers
from tests.provisioning.conftest import run_jobs_inline

JSON = "application/json"


@pytest.fixture
def dns_api(alice_account):
    return token_client(make_token(alice_account.owner, {"dns": "write"}))


def post(client, path, body=None):
    return client.post(path, body or {}, content_type=JSON)


def _finding(kind: str, label: str) -> tuple[str, DriftFinding]:
    report = run_drift_check()
    finding = report.findings.get(kind=kind, resource_label=label)
    return f"/api/v1/admin/drift-reports/{report.pk}/findings/{finding.pk}/", finding


def test_an_admin_drops_a_stray_role_on_the_managed_server(
    admin_api, alice_api, alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_old")
    url, finding = _finding("role_stray", "alice_old")
    listed = admin_api.get(url.rsplit("/", 2)[0] + "/?kind=role_stray").json()["results"]
    assert [row["resource_label"] for row in listed] == ["alice_old"]
    assert post(alice_api, url + "drop/", {"confirm": "alice_old"}).status_code == 403
    wrong = post(admin_api, url + "drop/", {"confirm": "alice"})
    assert wrong.status_code == 400 and "confirm" in wrong.json()["errors"]
    run_jobs_inline()
    assert "alice_old" in target_pg.roles()
    response = post(admin_api, url + "drop/", {"confirm": "alice_old"})
    assert response.status_code == 202 and response["Location"] == response.json()["job"]
    run_jobs_inline()
    assert "alice_old" not in target_pg.roles()
    assert admin_api.get(response.json()["job"]).json()["state"] == "done"
    event = AuditEvent.objects.get(action="drift.stray_dropped")
    assert event.details["name"] == "alice_old"
    assert post(admin_api, url + "drop/", {"confirm": "alice_old"}).status_code == 409


def test_a_browser_session_drops_only_in_sudo_mode(
    admin_client, alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_old")
    url, _ = _finding("role_stray", "alice_old")
    session = admin_client.session
    session[sudo.SESSION_KEY] = 0  # the password confirmation has run out
    session.save()
    refused = post(admin_client, url + "drop/", {"confirm": "alice_old"})
    assert refused.status_code == 403 and refused.json()["code"] == "sudo_required"
    run_jobs_inline()
    assert "alice_old" in target_pg.roles()
    in_sudo_mode(admin_client)
    assert post(admin_client, url + "drop/", {"confirm": "alice_old"}).status_code == 202
    run_jobs_inline()
    assert "alice_old" not in target_pg.roles()


def test_an_admin_adopts_a_stray_database_and_recreates_a_lost_one(
    admin_api, alice_account, db_server, target_pg
):
    target_pg.query("CREATE ROLE alice_old LOGIN")
    target_pg.query("CREATE DATABASE alice_old OWNER alice_old")
    url, _ = _finding("database_stray", "alice_old")
    response = post(admin_api, url + "adopt/")
    assert response.status_code == 202, response.content
    run_jobs_inline()
    adopted = Database.objects.get(name="alice_old")
    assert adopted.account == alice_account and adopted.state == "active"

    db, _ = db_services.create_database(alice_account, "shop", actor=None)
    run_jobs_inline()
    target_pg.query("DROP DATABASE alice_shop")
    url, _ = _finding("database", "alice_shop")
    assert post(admin_api, url + "adopt/").status_code == 409  # not a stray
    assert post(admin_api, url + "recreate/").status_code == 202
    run_jobs_inline()
    assert "alice_shop" in target_pg.databases()


def test_admins_manage_templates_and_a_customers_zone_starts_with_one(
    admin_api, dns_api, dns_server, pdns_address, zone_name
):
    base = "/api/v1/admin/dns/templates/"
    www = {"name": "www", "type": "A", "value": "192.0.2.7"}
    bad = post(admin_api, base, {"slug": "x", "label": "X", "records": [www | {"value": "x"}]})
    assert bad.status_code == 400
    created = post(admin_api, base, {"slug": "api-web", "label": "API web", "records": [www]})
    assert created.status_code == 201, created.content
    template = created.json()
    assert template["records"] == [{"name": "www", "type": "A", "value": "192.0.2.7"}]
    assert post(dns_api, base, {"slug": "mine", "label": "Mine"}).status_code == 403
    renamed = admin_api.patch(f"{base}{template['id']}/", {"label": "Web (API)"}, content_type=JSON)
    assert renamed.status_code == 200 and renamed.json()["records"] == template["records"]
    assert AuditEvent.objects.filter(action="dns.template_updated").exists()
    # A change of the records is checked whole: an entry without its name is refused on
    # its field (it used to be a 500), and the template stays as it was.
    url = f"{base}{template['id']}/"
    nameless = admin_api.patch(
        url, {"records": [{"type": "A", "value": "192.0.2.8"}]}, content_type=JSON
    )
    assert nameless.status_code == 400 and "records" in nameless.json()["errors"], nameless.content
    assert admin_api.get(url).json()["records"] == template["records"]
    retyped = admin_api.patch(
        url, {"slug": "api-web", "records": [www | {"value": "192.0.2.9"}]}, content_type=JSON
    )
    assert retyped.status_code == 200, retyped.content
    assert retyped.json()["records"] == [www | {"value": "192.0.2.9"}]
    assert admin_api.patch(url, {"records": [www]}, content_type=JSON).status_code == 200

    zone = post(dns_api, "/api/v1/dns/zones/", {"name": zone_name, "template": "api-web"})
    assert zone.status_code == 202, zone.content
    run_jobs()
    assert answers(pdns_address, "www." + zone_name, "A") == {"192.0.2.7"}

    assert admin_api.delete(f"{base}{template['id']}/").status_code == 204
    assert not ZoneTemplate.objects.filter(slug="api-web").exists()
    refused = post(dns_api, "/api/v1/dns/zones/", {"name": "b" + zone_name, "template": "api-web"})
    assert refused.status_code == 400


def _serve(zone_name: str, name: str, value: str) -> None:
    rrset = {
        "name": name,
        "type": "A",
        "ttl": 300,
        "changetype": "REPLACE",
        "records": [{"content": value, "disabled": False}],
    }
    pdns_api("PATCH", f"/zones/{zone_name}", json={"rrsets": [rrset]}).raise_for_status()


def test_a_drifted_zone_is_reapplied_or_its_server_state_imported(
    admin_api, dns_api, dns_server, pdns_address, zone_name
):
    assert post(dns_api, "/api/v1/dns/zones/", {"name": zone_name}).status_code == 202
    run_jobs()
    zone = Zone.objects.get(name=zone_name)
    _serve(zone_name, "rogue." + zone_name, "192.0.2.66")
    url, _ = _finding("dns_zone", zone_name)
    response = post(admin_api, url + "reapply/")
    assert response.status_code == 202, response.content
    run_jobs()
    assert answers(pdns_address, "rogue." + zone_name, "A") == set()

    _serve(zone_name, "kept." + zone_name, "192.0.2.77")
    url, _ = _finding("dns_zone", zone_name)
    imported = post(admin_api, url + "import/")
    assert imported.status_code == 200, imported.content
    assert imported.json()["revision"]["reason"] == "adopted from the server"
    assert zone.records.filter(name="kept." + zone_name, content="192.0.2.77").exists()
    assert not run_drift_check().findings.filter(resource_label=zone_name).exists()
