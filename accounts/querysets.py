"""Who may see a row: the one ownership rule behind every `Model.objects.for_user(user)`."""

from __future__ import annotations

from django.db import models


class OwnedQuerySet(models.QuerySet):
    """Rows a user may see: none when signed out, all for admins, their own for customers.

    A subclass names the path from its row to the owning user in `owner_field`
    (`"account__owner"`), or overrides `owned_by` when ownership is not one path.
    """

    owner_field: str = "owner"

    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_admin:
            return self
        return self.owned_by(user)

    def owned_by(self, user):
        return self.filter(**{self.owner_field: user})
