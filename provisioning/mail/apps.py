from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "provisioning.mail"
    label = "mail"
    verbose_name = "Mail hosting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from provisioning.engine.backends import register_backend

        # The mail server's driver: writes the mail database Postfix and Dovecot read.
        register_backend("mail", "provisioning.mail.backend.MailBackend")
