"""Zone files: preview with line errors, apply as one change, export that imports unchanged."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from provisioning.dns import services, transfer
from provisioning.engine.models import ProvisioningJob
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers


@pytest.fixture
def zone(alice_account, dns_server, zone_name):
    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    return zone


def zone_file(zone, count=300, *, errors=False) -> str:
    lines = [
        f"$ORIGIN {zone.name}",
        "$TTL 3600",
        "@ IN SOA ns1.elsewhere. admin.elsewhere. ( 1 7200 3600",
        "      1209600 3600 ) ; the server keeps its own SOA",
        "@ IN NS ns1.hearth.test.",
        "  IN NS ns2.hearth.test.",
        '@ 300 IN TXT "v=spf1 " "mx -all"',
        "mail IN A 192.0.2.25",
        "@ IN MX 10 mail",
    ]
    for i in range(count - 4):
        lines.append(f"host{i} 600 IN A 192.0.{i // 250}.{i % 250 + 1}")
    if errors:
        lines[9] = "host0 600 IN A 192.0.2.300"  # line 10
        lines.append("alias IN CNAME mail")  # line count + 6
        lines.append("@ IN MX 20 alias")
        lines.append("www IN AAAA not-an-address")
    return "\n".join(lines) + "\n"


def post(client, zone, text, action="preview"):
    url = reverse("dns:zone_import", args=[zone.pk])
    return client.post(url, {"text": text, "action": action})


def test_a_file_with_errors_is_refused_with_every_line(alice_client, zone):
    text = zone_file(zone, errors=True)
    response = post(alice_client, zone, text, action="apply")
    assert response.status_code == 422
    page = response.content.decode()
    total = len(text.splitlines())
    assert "Line 10: A value: 192.0.2.300 is not a valid IPv4 address." in page
    assert f"Line {total - 1}: The MX target alias.{zone.name} is a CNAME" in page
    assert f"Line {total}: AAAA value: not-an-address is not a valid IPv6 address." in page
    assert not ProvisioningJob.objects.filter(kind="dns_zone.change").exists()


def test_a_300_record_file_is_previewed_then_applied_in_one_job(alice_client, zone, pdns_address):
    text = zone_file(zone)
    preview = post(alice_client, zone, text)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "299 rrsets added, 0 changed, 0 removed" in page  # NS is already there
    response = post(alice_client, zone, text, action="apply")
    assert response.status_code == 302
    assert ProvisioningJob.objects.filter(kind="dns_zone.change").count() == 1
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    assert zone.records.count() == 301
    for i in range(296):
        assert answers(pdns_address, f"host{i}.{zone.name}", "A") == {
            f"192.0.{i // 250}.{i % 250 + 1}"
        }
    assert answers(pdns_address, zone.name, "TXT") == {'"v=spf1 mx -all"'}
    assert answers(pdns_address, zone.name, "MX") == {f"10 mail.{zone.name}"}


def test_the_preview_lists_changes_and_removals(alice_client, zone):
    transfer.apply_import(zone, "www 300 IN A 192.0.2.1\nold 300 IN A 192.0.2.2\n", actor=None)
    run_jobs()
    page = post(alice_client, zone, "www 300 IN A 192.0.2.7\nnew 300 IN A 192.0.2.8\n")
    text = page.content.decode()
    assert "1 rrsets added, 1 changed, 1 removed" in text
    assert "192.0.2.1 → 192.0.2.7" in text


def test_an_uploaded_file_works_like_a_pasted_one(alice_client, zone):
    upload = SimpleUploadedFile("z.zone", b"www 300 IN A 192.0.2.1\n", content_type="text/plain")
    url = reverse("dns:zone_import", args=[zone.pk])
    response = alice_client.post(url, {"upload": upload, "action": "preview"})
    assert "1 rrsets added" in response.content.decode()


def test_unsupported_types_and_directives_are_named_with_their_line(alice_client, zone):
    text = "$INCLUDE /etc/passwd\nwww 300 IN HINFO PC Linux\n"
    page = post(alice_client, zone, text).content.decode()
    assert "Line 1: The directive $INCLUDE is not supported." in page
    assert "Line 2: Record type HINFO is not supported here." in page


def test_an_export_imports_back_without_changes(alice_client, zone):
    transfer.apply_import(zone, zone_file(zone, 20), actor=None)
    run_jobs()
    response = alice_client.get(reverse("dns:zone_export", args=[zone.pk]))
    assert response["Content-Type"].startswith("text/plain")
    exported = response.content.decode()
    assert f"host0.{zone.name} 600 IN A 192.0.0.1" in exported
    page = post(alice_client, zone, exported).content.decode()
    assert "0 rrsets added, 0 changed, 0 removed" in page


def test_quoted_text_is_imported_as_written(alice_client, zone, pdns_address):
    """Blanks, parentheses and `;` inside quotes belong to the TXT value; an unbalanced `(`
    there opens no group that would swallow the next lines."""
    text = "\n".join(
        [
            '@ 300 IN TXT "v=spf1  a   mx -all"',
            'notes 300 IN TXT "see (the docs); twice"',
            'open 300 IN TXT "a (b"',
            "after 300 IN A 192.0.2.61",
            'multi 300 IN TXT ( "part one "',
            '    "part two" ) ; a comment (with parentheses)',
        ]
    )
    response = post(alice_client, zone, text, action="apply")
    assert response.status_code == 302, response.content.decode()
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    assert answers(pdns_address, zone.name, "TXT") == {'"v=spf1  a   mx -all"'}
    assert answers(pdns_address, "notes." + zone.name, "TXT") == {'"see (the docs); twice"'}
    assert answers(pdns_address, "open." + zone.name, "TXT") == {'"a (b"'}
    assert answers(pdns_address, "after." + zone.name, "A") == {"192.0.2.61"}
    assert answers(pdns_address, "multi." + zone.name, "TXT") == {'"part one part two"'}
    exported = alice_client.get(reverse("dns:zone_export", args=[zone.pk])).content.decode()
    page = post(alice_client, zone, exported).content.decode()
    assert "0 rrsets added, 0 changed, 0 removed" in page
