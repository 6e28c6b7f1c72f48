"""The chart JSON: a constant number of queries at every range, whatever the data holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import rollups, storage
from monitoring.models import ServerState
from tests.monitoring.conftest import make_server


def _history(rows: int):
    """ROWS raw samples, 10 s apart up to now, rolled up; and the server's state."""
    server = make_server()
    now = timezone.now()
    storage.insert_samples(
        [
            {"server_id": server.pk, "ts": now - timedelta(seconds=10 * n), "cpu_percent": n % 90}
            for n in range(rows)
        ]
    )
    ServerState.objects.create(server=server, last_report_at=now, last_sample_at=now)
    rollups.roll_up(now=now + timedelta(minutes=1))
    return server


@pytest.mark.parametrize("rows", [10, 1000])
@pytest.mark.parametrize("range_key", ["1h", "24h", "7d", "30d"])
def test_chart_json_runs_a_constant_number_of_queries(
    admin_client, django_assert_num_queries, rows, range_key
):
    server = _history(rows)
    # The admin's session and user (what every page costs), the server with its state,
    # and the one series statement: nothing grows with the rows or the range.
    with django_assert_num_queries(4):
        response = admin_client.get(f"/monitoring/servers/{server.pk}/data.json?range={range_key}")
    assert response.status_code == 200
    data = response.json()
    assert data["range"] == range_key and data["series"]["t"]
    assert len(data["series"]["t"]) == len(data["series"]["cpu_percent"]) <= 500
    if range_key == "1h":
        # One point per 10 s sample over the hour (360); the window starts on the 10 s grid
        # after `now - 1 h`, so when the clock crosses a grid line between storing the
        # samples and asking for them, the oldest one falls out (359): seen on a loaded machine.
        points = len(data["series"]["t"])
        assert points == rows if rows < 360 else points in (359, 360)
