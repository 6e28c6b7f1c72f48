from django.urls import path

from provisioning.mail import admin_views, views

app_name = "mail"

urlpatterns = [
    path("domains/", views.domain_list, name="domain_list"),
    path("domains/new/", views.domain_create, name="domain_create"),
    path("domains/<int:pk>/", views.domain_detail, name="domain_detail"),
    path("domains/<int:pk>/check/", views.domain_check, name="domain_check"),
    path("domains/<int:pk>/delete/", views.domain_delete, name="domain_delete"),
    path("domains/<int:pk>/dkim/rotate/", views.domain_rotate_dkim, name="domain_rotate_dkim"),
    path("domains/<int:pk>/mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("domains/<int:pk>/aliases/new/", views.alias_create, name="alias_create"),
    path("mailboxes/<int:pk>/", views.mailbox_detail, name="mailbox_detail"),
    path("mailboxes/<int:pk>/password/", views.mailbox_password, name="mailbox_password"),
    path("mailboxes/<int:pk>/quota/", views.mailbox_quota, name="mailbox_quota"),
    path("mailboxes/<int:pk>/vacation/", views.mailbox_vacation, name="mailbox_vacation"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
    path("aliases/<int:pk>/delete/", views.alias_delete, name="alias_delete"),
    path("admin/domains/", admin_views.admin_domains, name="admin_domains"),
    path("admin/mailboxes/", admin_views.admin_mailboxes, name="admin_mailboxes"),
    path("admin/mailboxes/<int:pk>/suspend/", admin_views.admin_suspend, name="admin_suspend"),
    path("admin/drift/", admin_views.admin_drift, name="admin_drift"),
]
