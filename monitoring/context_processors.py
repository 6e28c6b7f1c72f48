"""The top bar's critical indicator: open alerts, read from the cache (no database query).

The count is written whenever an alert opens or closes and by every evaluation run (beat).
"""

from __future__ import annotations

from django.core.cache import cache

from monitoring.alerts import OPEN_COUNT_KEY


def alerts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_admin:
        return {}
    return {"open_alert_count": lambda: cache.get(OPEN_COUNT_KEY, 0)}
