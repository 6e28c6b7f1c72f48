from django.urls import include, path

from monitoring import prometheus
from panel import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("security/", include("security.urls")),
    path("outbox/", include("outbox.urls")),
    path("provisioning/", include("provisioning.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("api/agent/v1/", include("monitoring.api_urls")),
    path("metrics", prometheus.metrics_view, name="prometheus_metrics"),
]

handler403 = "panel.views.error_403"
handler404 = "panel.views.error_404"
handler500 = "panel.views.error_500"
