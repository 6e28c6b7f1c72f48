from django.urls import path

from provisioning.engine import views

urlpatterns = [
    path("admin/jobs/", views.job_list, name="job_list"),
    path("admin/jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("admin/jobs/<int:pk>/retry/", views.job_action, {"action": "retry"}, name="job_retry"),
    path(
        "admin/jobs/<int:pk>/rollback/",
        views.job_action,
        {"action": "rollback"},
        name="job_rollback",
    ),
    path("admin/drift/", views.drift, name="drift"),
    path("admin/drift/run/", views.drift_run, name="drift_run"),
]
