from django.db import models


class TokenPurpose(models.TextChoices):
    VERIFY_EMAIL = "verify", "Email verification"
    RESET_PASSWORD = "reset", "Password reset"
