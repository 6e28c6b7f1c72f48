from django.urls import path

from monitoring import alert_views, views

app_name = "monitoring"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("servers/<int:pk>/", views.server_detail, name="server_detail"),
    path("servers/<int:pk>/data.json", views.server_data, name="server_data"),
    path("servers/<int:pk>/export.csv", views.server_export, name="server_export"),
    path("servers/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("servers/<int:pk>/keys/<int:key_pk>/revoke/", views.revoke_key, name="revoke_key"),
    path("alerts/", alert_views.event_list, name="alert_list"),
    path("alerts/rules/", alert_views.rule_list, name="rule_list"),
    path("alerts/rules/<int:pk>/edit/", alert_views.rule_edit, name="rule_edit"),
]
