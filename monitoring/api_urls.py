from django.urls import path

from monitoring import api

urlpatterns = [
    path("register", api.register, name="monitoring_agent_register"),
    path("metrics", api.metrics, name="monitoring_agent_metrics"),
]
