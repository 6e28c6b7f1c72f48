from django.urls import path

from provisioning.servers import views

urlpatterns = [
    path("admin/servers/", views.server_list, name="server_list"),
    path("admin/servers/new/", views.server_form, name="server_create"),
    path("admin/servers/<int:pk>/edit/", views.server_form, name="server_edit"),
    path("admin/servers/<int:pk>/test/", views.server_test, name="server_test"),
    path("admin/servers/<int:pk>/retire/", views.server_retire, name="server_retire"),
]
