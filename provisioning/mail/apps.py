from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "provisioning.mail"
    label = "mail"
    verbose_name = "Mail hosting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import usage
        from provisioning.engine.backends import register_backend
        from provisioning.mail import steps  # noqa: F401 - registers the job kinds
        from provisioning.mail.quota import mail_domains_used, mail_quota_used_mb, mailboxes_used

        # The mail server's driver: writes the mail database Postfix and Dovecot read.
        register_backend("mail", "provisioning.mail.backend.MailBackend")
        usage.register_counter("mail_domains", mail_domains_used)
        usage.register_counter("mailboxes", mailboxes_used)
        usage.register_counter("mail_quota_mb", mail_quota_used_mb)
