"""Every kind's pages under one namespace (`provisioning:<name>`); each kind has its urls.py."""

from django.urls import include, path

app_name = "provisioning"

urlpatterns = [
    path("", include("provisioning.databases.urls")),
    path("", include("provisioning.servers.urls")),
    path("", include("provisioning.engine.urls")),
]
