"""Login (password, then a code when 2FA is on), logout and password change, each audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.utils.decorators import method_decorator

from accounts.forms import LoginForm, PasswordChangeForm
from accounts.models import User
from panel import errors
from security import audit, lockout, login_flow, passwords, twofactor, user_sessions
from security.exceptions import RateLimited


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        email = (request.POST.get("username") or "")[:254]
        try:
            lockout.check_login_allowed(request, email)
        except RateLimited as exc:
            # Unbound: a bound form would check the password while locked.
            form = self.get_form_class()(request, initial={"username": email})
            context = self.get_context_data(form=form, locked=str(exc))
            return errors.apply(self.render_to_response(context), exc)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        lockout.record_login_success(user.email)
        if twofactor.has_two_factor(user):
            login_flow.begin(self.request, user, self.get_success_url())
            return redirect("security:login_verify")
        response = super().form_valid(form)
        audit.record(self.request, "auth.login_succeeded", target=user, method="password")
        return response

    def form_invalid(self, form):
        email = (form.data.get("username") or "")[:254]
        lockout.record_login_failure(self.request, email)
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
            user_sessions.end_session(request)
            audit.record(request, "auth.logout", target=request.user)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Wrong current passwords count like failed logins: a stolen session cannot guess on."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = "/"

    def post(self, request, *args, **kwargs):
        try:
            lockout.check_login_allowed(request, request.user.email)
        except RateLimited as exc:
            # Unbound: a bound form would still tell a right current password from a wrong one.
            form = self.get_form_class()(request.user)
            context = self.get_context_data(form=form, locked=str(exc))
            return errors.apply(self.render_to_response(context), exc)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:
            lockout.record_login_failure(self.request, self.request.user.email)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.after_password_change(self.request)
        messages.success(self.request, "Your password was changed; your other sessions ended.")
        return response
