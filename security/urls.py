from django.urls import path

from security.views import account, admin, audit, public, sudo, verification_admin

app_name = "security"

urlpatterns = [
    path("settings/", account.security_settings, name="settings"),
    path("confirm-password/", sudo.confirm_password, name="sudo"),
    path("two-factor/setup/", account.two_factor_setup, name="two_factor_setup"),
    path("two-factor/disable/", account.two_factor_disable, name="two_factor_disable"),
    path("two-factor/backup-codes/", account.backup_codes_regenerate, name="backup_codes"),
    path("settings/sessions/<int:pk>/revoke/", account.session_revoke, name="session_revoke"),
    path("settings/sessions/revoke-others/", account.sessions_revoke_others, name="revoke_others"),
    path("login/verify/", public.login_verify, name="login_verify"),
    path("verify/resend/", public.resend_verification, name="resend_verification"),
    path("verify/<str:uidb64>/<str:token>/", public.verify_email, name="verify_email"),
    path("password-reset/", public.password_reset_request, name="password_reset"),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        public.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("audit/", audit.audit_list, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("audit/<int:pk>/", audit.audit_detail, name="audit_detail"),
    path(
        "users/<int:pk>/verification/resend/",
        verification_admin.resend,
        name="admin_resend_verification",
    ),
    path(
        "users/<int:pk>/verification/mark-verified/",
        verification_admin.mark_verified,
        name="admin_mark_verified",
    ),
    path("sessions/", admin.session_list, name="admin_sessions"),
    path("sessions/<int:pk>/revoke/", admin.session_revoke, name="admin_session_revoke"),
]
