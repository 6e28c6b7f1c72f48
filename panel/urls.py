from django.urls import include, path

from api import ui as api_ui
from monitoring import prometheus
from panel import dev_mail, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("security/", include("security.urls")),
    path("outbox/", include("outbox.urls")),
    path("provisioning/", include("provisioning.urls")),
    path("dns/", include("provisioning.dns.urls")),
    path("mail/", include("provisioning.mail.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("api/v1/", include("api.urls")),
    path("security/api-tokens/", api_ui.token_list, name="api_tokens"),
    path("security/api-tokens/<int:pk>/revoke/", api_ui.token_revoke, name="api_token_revoke"),
    path("api/agent/v1/", include("monitoring.api_urls")),
    path("metrics", prometheus.metrics_view, name="prometheus_metrics"),
    # Development only (404 unless HEARTH_DEV and HEARTH_MAIL_SINK_DIR): the caught mail.
    path("dev/mail/", dev_mail.mail_list, name="dev_mail_list"),
    path("dev/mail/<str:name>", dev_mail.mail_detail, name="dev_mail_detail"),
]

handler403 = "panel.views.error_403"
handler404 = "panel.views.error_404"
handler500 = "panel.views.error_500"
