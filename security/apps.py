from django.apps import AppConfig


def _track_login(sender, request, user, **kwargs):
    """Every login, whatever the view, becomes a tracked session (see user_sessions)."""
    from security import user_sessions

    if request is not None and hasattr(request, "session"):
        user_sessions.track_login(request, user)


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_track_login, dispatch_uid="security.track_login")
