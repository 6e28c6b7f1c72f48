"""Login, logout and password change, each recorded in the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator

from accounts.models import User
from security import audit


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.request, "auth.login_succeeded", target=form.get_user())
        return response

    def form_invalid(self, form):
        email = (form.data.get("username") or "")[:254]
        user = User.objects.filter(email__iexact=email).first()
        audit.record(
            self.request,
            "auth.login_failed",
            target=user,
            target_label=email,
            actor=None,
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit.record(request, "auth.logout", target=request.user)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.request, "auth.password_changed", target=self.request.user)
        messages.success(self.request, "Your password was changed.")
        return response
