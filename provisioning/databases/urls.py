from django.urls import path

from provisioning.databases import drift_views, views

urlpatterns = [
    path("databases/", views.database_list, name="database_list"),
    path("databases/new/", views.database_create, name="database_create"),
    path("databases/<int:pk>/", views.database_detail, name="database_detail"),
    path("databases/<int:pk>/delete/", views.database_delete, name="database_delete"),
    path("databases/<int:pk>/roles/new/", views.role_create, name="role_create"),
    path(
        "databases/<int:pk>/roles/<int:role_pk>/password/",
        views.role_password,
        name="role_password",
    ),
    path(
        "databases/<int:pk>/roles/<int:role_pk>/remove/",
        views.role_remove,
        name="role_remove",
    ),
    path("admin/databases/", views.database_overview, name="admin_databases"),
    path("admin/drift/<int:pk>/drop/", drift_views.drift_drop, name="drift_drop"),
    path("admin/drift/<int:pk>/adopt/", drift_views.drift_adopt, name="drift_adopt"),
    path("admin/drift/<int:pk>/recreate/", drift_views.drift_recreate, name="drift_recreate"),
]
