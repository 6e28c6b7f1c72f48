"""Access helpers: objects scoped to the user at the source; another owner's id is a 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from provisioning.databases.models import Database, DatabaseRole


def get_database_for_user(request, pk: int) -> Database:
    queryset = Database.objects.for_user(request.user).select_related("account", "server")
    return get_object_or_404(queryset, pk=pk)


def get_role_for_user(request, database_pk: int, pk: int) -> DatabaseRole:
    queryset = DatabaseRole.objects.for_user(request.user).select_related(
        "database__account", "database__server"
    )
    return get_object_or_404(queryset, pk=pk, database_id=database_pk)
