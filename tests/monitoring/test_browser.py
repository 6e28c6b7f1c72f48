"""The server page in a real browser (system Chromium via Playwright): charts, ranges, CSP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring import rollups, storage
from monitoring.models import ServerState
from tests.monitoring.conftest import make_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_page(browser, admin_client):
    """Open a panel path as the admin in Chromium; returns (page, script problems)."""

    def open_(path: str):
        opened = browser.open(admin_client, path)
        return opened.page, opened.problems

    return open_


def _with_recent_data():
    server = make_server("charted")
    now = timezone.now()
    storage.insert_samples(
        [
            {
                "server_id": server.pk,
                "ts": now - timedelta(seconds=s),
                "cpu_percent": 30.0 + s % 7,
                "mem_percent": 60.0,
                "disk_percent": 40.0,
                "net_rx_bps": 1e4,
                "net_tx_bps": 5e3,
            }
            for s in range(0, 7200, 10)
        ]
    )
    ServerState.objects.create(server=server, last_report_at=now, last_sample_at=now)
    rollups.roll_up(now=timezone.now() + timedelta(minutes=1))
    return server


def test_the_four_charts_load_and_the_range_buttons_change_resolution(open_page):
    server = _with_recent_data()
    page, problems = open_page(f"/monitoring/servers/{server.pk}/")
    # (Waits use locators: a strict CSP forbids the eval behind wait_for_function.)
    expect(page.locator(".chart-box.skeleton")).to_have_count(0)
    resolution = page.locator("[data-role=resolution]")
    # 24 h by default: minute rollups in 3-minute buckets, 2 h of data → about 40 points
    expect(resolution).to_contain_text(re.compile(r"minute data, 180 s per point, 4\d points"))
    for box in page.locator(".chart-box canvas").all():
        assert 50 < box.bounding_box()["height"] < 400  # drawn, and not growing without end
    points = page.evaluate(
        "() => [...document.querySelectorAll('[data-chart] canvas')]"
        ".map(c => window.Chart.getChart(c).data.datasets[0].data.length)"
    )
    assert len(points) == 4 and all(40 <= n <= 41 for n in points)
    page.click("button[data-range='1h']")
    # 1 h of 10-second samples: 359 or 360 points, depending on where the window falls
    expect(resolution).to_contain_text(re.compile(r"raw data, 10 s per point, 3(59|60) points"))
    assert page.get_attribute("button[data-range='1h']", "aria-pressed") == "true"
    assert page.locator("[data-role=message]").is_hidden()
    assert problems == []  # no script errors, no CSP violations


def test_a_server_without_an_agent_says_so(open_page):
    server = make_server("bare")
    page, problems = open_page(f"/monitoring/servers/{server.pk}/")
    message = page.locator("[data-role=message]")
    message.wait_for(state="visible")
    assert "No data for this range yet" in message.inner_text()
    assert "Enrol agent" in message.inner_text()
    assert problems == []


def test_a_range_click_during_a_refresh_wins_over_the_slower_answer(open_page):
    server = _with_recent_data()
    page, problems = open_page(f"/monitoring/servers/{server.pk}/")
    expect(page.locator(".chart-box.skeleton")).to_have_count(0)
    held = []

    def hold_day_range(route):
        if "range=24h" in route.request.url:
            held.append(route)  # answered only after the 1 h range has been drawn
        else:
            route.continue_()

    page.route("**/data.json?*", hold_day_range)
    page.click("button[data-range='24h']")  # a request that stays in flight ...
    page.click("button[data-range='1h']")  # ... while the user picks another range
    resolution = page.locator("[data-role=resolution]")
    expect(resolution).to_contain_text("raw data, 10 s per point")
    assert len(held) == 1
    with page.expect_response(lambda response: "range=24h" in response.url):
        held[0].continue_()
    page.wait_for_timeout(300)  # let the late answer reach the page's handlers
    expect(resolution).to_contain_text("raw data, 10 s per point")
    assert problems == []


def test_a_single_point_is_drawn_as_a_dot(open_page):
    server = make_server("newcomer")
    now = timezone.now()
    storage.insert_samples([{"server_id": server.pk, "ts": now, "cpu_percent": 42.0}])
    ServerState.objects.create(server=server, last_report_at=now, last_sample_at=now)
    page, problems = open_page(f"/monitoring/servers/{server.pk}/")
    page.click("button[data-range='1h']")
    expect(page.locator("[data-role=resolution]")).to_contain_text(
        "raw data, 10 s per point, 1 point"
    )
    radii = page.evaluate(
        "() => [...document.querySelectorAll('[data-chart] canvas')]"
        ".map(c => window.Chart.getChart(c).data.datasets[0].pointRadius)"
    )
    assert radii == [3, 3, 3, 3]
    assert problems == []


def test_the_enrolment_command_is_whole_on_a_phone(open_page):
    server = make_server("phone")
    page, problems = open_page(f"/monitoring/servers/{server.pk}/")
    page.set_viewport_size({"width": 390, "height": 800})
    page.click("text=Enrol agent")
    command = page.locator("#enrol-command")
    expect(command).to_contain_text("hearth-agent register --url")
    box, card = command.bounding_box(), page.locator("#enrol-title").bounding_box()
    assert box["x"] + box["width"] <= 390 and card["x"] + card["width"] <= 390
    widths = command.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1]  # nothing cut off or hidden behind a scroll bar
    assert problems == []


def _tick_labels(page) -> list[list[str]]:
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-chart] canvas')]"
        ".map(c => window.Chart.getChart(c).scales.x.ticks.map(t => t.label))"
    )


def test_time_ticks_use_a_24_hour_clock_and_never_repeat(open_page):
    server = _with_recent_data()
    page, problems = open_page(f"/monitoring/servers/{server.pk}/")
    assert page.evaluate("() => navigator.language").startswith("en")  # 12-hour by default
    resolution = page.locator("[data-role=resolution]")
    for range_key, pattern in (("1h", "raw data"), ("24h", "minute data"), ("7d", "hour data")):
        page.click(f"button[data-range='{range_key}']")
        expect(resolution).to_contain_text(pattern)
        for labels in _tick_labels(page):
            assert len(labels) >= 3, (range_key, labels)
            assert len(set(labels)) == len(labels), (range_key, labels)
            assert not any(re.search(r"AM|PM", label) for label in labels), labels
            times = [label for label in labels if ":" in label]
            assert all(re.fullmatch(r"(.* )?([01]\d|2[0-3]):[0-5]\d", t) for t in times), labels
    assert problems == []
