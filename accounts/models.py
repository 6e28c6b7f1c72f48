"""Users (email login, role), plans with quotas, and customers' hosting accounts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.choices import AccountStatus, Role
from accounts.querysets import OwnedQuerySet


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the user proves they own the address; unverified users cannot create resources.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]


class Plan(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    max_databases = models.PositiveIntegerField(default=5)
    max_mailboxes = models.PositiveIntegerField(default=10)
    max_dns_zones = models.PositiveIntegerField(default=5)
    disk_quota_mb = models.PositiveIntegerField(default=1024, validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HostingAccountQuerySet(OwnedQuerySet):
    owner_field = "owner"


prefix_validator = RegexValidator(
    r"^[a-z][a-z0-9]{1,15}$",
    "2–16 lowercase letters or digits, starting with a letter.",
)


class HostingAccount(models.Model):
    """A customer's subscription: who owns it, which plan, and whether it is active."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=16,
        unique=True,
        validators=[prefix_validator],
        help_text="Prepended to the names of this customer's resources, e.g. acme_shop.",
    )
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosting_account"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HostingAccountQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE


class QuotaNotice(models.Model):
    """An account was emailed that a quota reached a level (80 % or 100 %): once per crossing.

    The row is removed when usage falls back below 80 %, so the next crossing is emailed again.
    """

    account = models.ForeignKey(HostingAccount, on_delete=models.CASCADE, related_name="+")
    quota = models.CharField(max_length=32)
    level = models.CharField(max_length=8)  # "near" or "full"
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "quota", "level"], name="quotanotice_once_per_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.quota} {self.level}"
