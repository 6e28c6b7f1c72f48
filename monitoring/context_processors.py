"""The top bar's critical indicator: open alerts, from the cache (the database without it).

The count is written by every evaluation pass (beat); see monitoring/alert_count.py.
"""

from __future__ import annotations

from monitoring import alert_count


def alerts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_admin:
        return {}
    return {"open_alert_count": alert_count.current}
