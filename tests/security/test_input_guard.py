"""Input no field can store (NUL, lone surrogates, absurd nesting) answers 400, never 500."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from panel import input_guard


def test_a_nul_in_the_login_username_is_refused_with_a_sentence(alice_account):
    response = Client().post(
        reverse("accounts:login"), {"username": "alice\x00@example.test", "password": "x"}
    )
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()


def test_a_nul_in_the_admin_customer_search_is_refused(admin_client):
    response = admin_client.get(reverse("accounts:customer_list"), {"q": "ali\x00ce"})
    assert response.status_code == 400
    assert "The field “q” in the query string contains a NUL character" in (
        response.content.decode()
    )


def test_a_lone_surrogate_in_a_json_body_is_a_problem_document(admin_client):
    body = '{"name": "\\ud800"}'  # valid JSON, but no database can store the text
    response = admin_client.post(
        reverse("accounts:customer_list"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "The text at “name” in the JSON body contains an invalid character (a lone surrogate)."
    )


def test_a_json_body_of_4000_brackets_is_refused_not_a_recursion_error(alice_client):
    response = alice_client.post(
        reverse("accounts:dashboard"), "[" * 4000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_the_agent_register_endpoint_refuses_4000_brackets(db):
    response = Client().post(
        reverse("monitoring_agent_register"), "[" * 4000, content_type="application/json"
    )
    assert response.status_code == 400


def test_json_nesting_is_allowed_up_to_the_limit_and_refused_above():
    at_limit = "[" * input_guard.MAX_JSON_DEPTH + "]" * input_guard.MAX_JSON_DEPTH
    input_guard.check_json(at_limit.encode())  # no exception
    above = "[" + at_limit + "]"
    try:
        input_guard.check_json(above.encode())
    except input_guard.UnstorableInput as exc:
        assert "deeper than 64 levels" in exc.message
    else:
        raise AssertionError("a body one level too deep was accepted")


def test_the_audit_timeline_refuses_a_date_at_the_end_of_time(admin_client):
    response = admin_client.get(reverse("security:audit"), {"until": "9999-12-31"})
    assert response.status_code == 400
    assert "Enter a date before 31 December 9999." in response.content.decode()
    export = admin_client.get(reverse("security:audit_export"), {"until": "9999-12-31"})
    assert export.status_code == 400
    assert "Enter a date before 31 December 9999." in export.content.decode()


def test_the_last_allowed_day_still_filters(admin_client):
    response = admin_client.get(reverse("security:audit"), {"until": "9999-12-30"})
    assert response.status_code == 200


def test_clean_text_passes_the_guard(alice_client):
    response = alice_client.get(reverse("accounts:dashboard"), {"q": "ordinary ✓ text"})
    assert response.status_code == 200
    assert json.loads(json.dumps({"ok": True}))  # sanity: the guard does not touch clean JSON
