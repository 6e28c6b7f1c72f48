"""The panel's URLs plus /bench/series/<pk>.json, the bare chart baseline (bench only)."""

from django.urls import include, path

from bench import chart_views

urlpatterns = [
    path("bench/series/<int:pk>.json", chart_views.bare_series, name="bench_series"),
    path("", include("panel.urls")),
]
