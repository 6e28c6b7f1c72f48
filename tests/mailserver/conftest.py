from tests.mailstack import mail_backend, mail_domain, mail_server  # noqa: F401 - fixtures
