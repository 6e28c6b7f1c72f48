from django.urls import path

from provisioning.dns import template_views, transfer_views, views

app_name = "dns"

urlpatterns = [
    path("zones/", views.zone_list, name="zone_list"),
    path("zones/new/", views.zone_create, name="zone_create"),
    path("zones/<int:pk>/", views.zone_detail, name="zone_detail"),
    path("zones/<int:pk>/delete/", views.zone_delete, name="zone_delete"),
    path("zones/<int:pk>/records/add/", views.record_add, name="record_add"),
    path("zones/<int:pk>/records/<int:record_pk>/", views.record_edit, name="record_edit"),
    path(
        "zones/<int:pk>/records/<int:record_pk>/delete/",
        views.record_delete,
        name="record_delete",
    ),
    path("zones/<int:pk>/apply/", views.zone_apply, name="zone_apply"),
    path("zones/<int:pk>/discard/", views.zone_discard, name="zone_discard"),
    path(
        "zones/<int:pk>/revisions/<int:number>/revert/",
        views.revision_revert,
        name="revision_revert",
    ),
    path("zones/<int:pk>/dnssec/", views.zone_dnssec, name="zone_dnssec"),
    path("admin/drift/", views.admin_drift, name="admin_drift"),
    path("admin/templates/", template_views.template_list, name="template_list"),
    path("admin/templates/new/", template_views.template_form, name="template_create"),
    path("admin/templates/<int:pk>/", template_views.template_form, name="template_edit"),
    path(
        "admin/templates/<int:pk>/delete/",
        template_views.template_delete,
        name="template_delete",
    ),
    path("admin/drift/<int:pk>/", views.admin_drift_fix, name="admin_drift_fix"),
    path("zones/<int:pk>/import/", transfer_views.zone_import, name="zone_import"),
    path("zones/<int:pk>/export/", transfer_views.zone_export, name="zone_export"),
]
