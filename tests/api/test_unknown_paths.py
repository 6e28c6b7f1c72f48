"""A path under /api/ that no route matches is answered like every other API error."""

import pytest


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/dns/zones/false/import/"),  # found by the stateful schemathesis run
        ("get", "/api/v1/databases/abc/"),
        ("get", "/api/v1/no-such-thing/"),
    ],
)
def test_an_unmatched_api_path_is_a_problem_document(alice_api, method, path):
    response = getattr(alice_api, method)(path, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found" and response.json()["instance"] == path


def test_an_unmatched_page_is_still_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and b"Page not found" in response.content
