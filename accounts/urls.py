from django.urls import path

from accounts import auth_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("admin/", views.admin_overview, name="admin_overview"),
    path("admin/customers/", views.customer_list, name="customer_list"),
    path("admin/customers/new/", views.customer_create, name="customer_create"),
    path("admin/customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("admin/customers/<int:pk>/suspend/", views.customer_suspend, name="customer_suspend"),
    path("admin/customers/<int:pk>/resume/", views.customer_resume, name="customer_resume"),
    path("admin/customers/<int:pk>/delete/", views.customer_delete, name="customer_delete"),
    path("admin/plans/", views.plan_list, name="plan_list"),
    path("admin/plans/new/", views.plan_form, name="plan_create"),
    path("admin/plans/<int:pk>/edit/", views.plan_form, name="plan_edit"),
    path("admin/plans/<int:pk>/delete/", views.plan_delete, name="plan_delete"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
]
