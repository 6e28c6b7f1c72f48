from django.urls import path

from provisioning.views import admin, databases

app_name = "provisioning"

urlpatterns = [
    path("databases/", databases.database_list, name="database_list"),
    path("databases/new/", databases.database_create, name="database_create"),
    path("databases/<int:pk>/", databases.database_detail, name="database_detail"),
    path("databases/<int:pk>/delete/", databases.database_delete, name="database_delete"),
    path("databases/<int:pk>/roles/new/", databases.role_create, name="role_create"),
    path(
        "databases/<int:pk>/roles/<int:role_pk>/password/",
        databases.role_password,
        name="role_password",
    ),
    path(
        "databases/<int:pk>/roles/<int:role_pk>/remove/",
        databases.role_remove,
        name="role_remove",
    ),
    path("admin/servers/", admin.server_list, name="server_list"),
    path("admin/servers/new/", admin.server_form, name="server_create"),
    path("admin/servers/<int:pk>/edit/", admin.server_form, name="server_edit"),
    path("admin/servers/<int:pk>/test/", admin.server_test, name="server_test"),
    path("admin/servers/<int:pk>/retire/", admin.server_retire, name="server_retire"),
    path("admin/databases/", admin.database_overview, name="admin_databases"),
    path("admin/jobs/", admin.job_list, name="job_list"),
    path("admin/jobs/<int:pk>/", admin.job_detail, name="job_detail"),
    path("admin/jobs/<int:pk>/retry/", admin.job_action, {"action": "retry"}, name="job_retry"),
    path(
        "admin/jobs/<int:pk>/rollback/",
        admin.job_action,
        {"action": "rollback"},
        name="job_rollback",
    ),
    path("admin/drift/", admin.drift, name="drift"),
    path("admin/drift/run/", admin.drift_run, name="drift_run"),
]
