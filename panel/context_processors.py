"""Template context shared by every page: the sidebar for the user's role."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def _item(label: str, url_name: str, icon: str) -> dict:
    return {"label": label, "url": reverse(url_name), "icon": icon}


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if user.is_admin:
        items = [
            _item("Overview", "home", "home"),
            _item("Customers", "accounts:customer_list", "users"),
            _item("Plans", "accounts:plan_list", "layers"),
            _item("Servers", "provisioning:server_list", "server"),
            _item("Databases", "provisioning:admin_databases", "database"),
            _item("Jobs", "provisioning:job_list", "activity"),
            _item("Drift", "provisioning:drift", "alert"),
            _item("DNS drift", "dns:admin_drift", "alert"),
            _item("Zone templates", "dns:template_list", "layers"),
            _item("Mail domains", "mail:admin_domains", "globe"),
            _item("Mailboxes", "mail:admin_mailboxes", "list"),
            _item("Mail drift", "mail:admin_drift", "alert"),
            _item("Sessions", "security:admin_sessions", "monitor"),
            _item("Outbox", "outbox:message_list", "list"),
            _item("Monitoring", "monitoring:overview", "activity"),
        ]
        if settings.DEV_MODE and settings.HEARTH_MAIL_SINK_DIR:
            items.append(_item("Caught mail", "dev_mail_list", "list"))
    else:
        items = [_item("Dashboard", "home", "home")]
        items.append(_item("Databases", "provisioning:database_list", "database"))
        items.append(_item("DNS zones", "dns:zone_list", "globe"))
        items.append(_item("Mail", "mail:domain_list", "list"))
    items.append(_item("Security", "security:settings", "shield"))
    items.append(_item("Audit log", "security:audit", "list"))
    path = request.path
    for item in items:
        item["active"] = path == item["url"] or (
            item["url"] != "/" and path.startswith(item["url"])
        )
    return {"nav_items": items}
