"""Bad agent input at volume against the real web server (issue 16, item 8): the agent API
as `make run` serves it (its lean WSGI path, panel/wsgi.py) answers every malformed body
with its 4xx and a sentence, never a 500 or a debug page, and good reports still go in.

The development server runs with DEBUG on, so an uncaught error would show its traceback.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from monitoring.models import Sample
from tests.monitoring.conftest import make_key, make_server, now_ts, report
from tests.stack_web import ask, web_server

METRICS = "/api/agent/v1/metrics"
REGISTER = "/api/agent/v1/register"
ROUNDS = 20  # of each kind, sent from 8 threads at once

BAD = [  # (name, path, content type, body, status)
    ("json as text/plain", METRICS, "text/plain", b'{"server": 1}', 415),
    ("form-encoded", METRICS, "application/x-www-form-urlencoded", b"server=1", 415),
    ("50,000 [", METRICS, "application/json", b"[" * 50_000, 400),
    ("4,000 [ at enrolment", REGISTER, "application/json", b"[" * 4000, 400),  # 4 kB cap
    ("not json", METRICS, "application/json", b"{server: 1", 400),
    ("a NUL", METRICS, "application/json", b'{"server": "\\u0000"}', 400),
    ("a lone surrogate", METRICS, "application/json", b'{"server": "\\ud800"}', 400),
]


@pytest.mark.django_db(transaction=True)
def test_malformed_reports_at_volume_get_their_4xx_and_good_ones_still_go_in(tmp_path):
    server = make_server("badinput")
    key = make_key(server)
    auth = {"Authorization": f"Bearer {key}"}
    with web_server(tmp_path) as port:

        def send(case):
            name, path, content_type, body, _ = case
            return name, *ask(port, "POST", path, body, {**auth, "Content-Type": content_type})

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, BAD * ROUNDS))
        good = json.dumps(report(server, [now_ts(-5)])).encode()
        status, _, body = ask(
            port, "POST", METRICS, good, {**auth, "Content-Type": "application/json"}
        )

    expected = {name: want for name, _, _, _, want in BAD}
    wrong = [
        f"{name}: {got} (expected {expected[name]}): {text[:200]}"
        for name, got, _, text in answers
        if got != expected[name] or "Traceback" in text or "error" not in text
    ]
    assert not wrong, "\n".join(wrong[:10])
    assert (status, json.loads(body)) == (200, {"accepted": 1, "stored": 1})
    assert Sample.objects.filter(server=server).count() == 1
