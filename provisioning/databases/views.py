"""Database pages: customers' list, create, detail (live state), roles, delete; the admins'
overview of every database."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import admin_required, customer_required
from accounts.usage import usage_for
from panel.pagination import paginate, querystring_without_page
from provisioning.databases import services
from provisioning.databases.access import get_database_for_user, get_role_for_user
from provisioning.databases.forms import DatabaseCreateForm, PasswordForm, RoleCreateForm
from provisioning.databases.models import Database
from provisioning.engine.choices import ResourceState
from provisioning.engine.models import ProvisioningJob
from provisioning.exceptions import ProvisioningError
from provisioning.servers.models import Server
from provisioning.ui import (
    confirm_delete,
    form_error,
    posted,
    render_live_list,
    render_page_or_fragment,
    toast_error,
)
from security.verification import require_verified_email


@customer_required
def database_list(request):
    account = request.user.hosting_account
    queryset = (
        Database.objects.for_user(request.user).annotate(role_count=Count("roles")).order_by("name")
    )
    context = {
        "page": paginate(request, queryset),
        "usage": usage_for(account, keys=("databases", "disk_mb")),
        "prefix": account.prefix,
    }
    return render_live_list(
        request, "provisioning/database_list.html", "provisioning/_database_rows.html", context
    )


@customer_required
@require_verified_email
def database_create(request):
    account = request.user.hosting_account
    form = DatabaseCreateForm(posted(request), prefix=account.prefix)
    if request.method == "POST" and form.is_valid():
        try:
            db, password = services.create_database(
                account,
                form.cleaned_data["name"],
                password=form.cleaned_data["password"] or None,
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            return _password_shown(request, db, db.owner_role, password)
    context = {"form": form, "prefix": account.prefix}
    return render(request, "provisioning/database_form.html", context)


def _password_shown(request, db: Database, role_name: str, password: str, status: int = 201):
    """The one page that ever shows a role's password, with a ready connection string."""
    context = {
        "db": db,
        "role_name": role_name,
        "password": password,
        "connection": connection_string(db, role_name, password),
    }
    return render(request, "provisioning/password_shown.html", context, status=status)


def _latest_job(db: Database) -> ProvisioningJob | None:
    return ProvisioningJob.objects.for_resource(db).prefetch_related("steps").first()


def database_detail(request, pk: int):
    if request.htmx and not Database.objects.for_user(request.user).filter(pk=pk).exists():
        # The database was deleted while the page polled: go back to the list.
        return HttpResponse(headers={"HX-Redirect": reverse("provisioning:database_list")})
    db = get_database_for_user(request, pk)
    roles = list(db.roles.all())
    busy = db.is_busy or any(role.is_busy for role in roles)
    if request.htmx and not busy:
        # Only a polling page asks for the fragment: the job ended, so reload the whole page
        # once (forms and actions that depend on the final state appear; polling stops).
        return HttpResponse(headers={"HX-Refresh": "true"})
    context = {
        "db": db,
        "roles": roles,
        "busy": busy,
        "job": _latest_job(db),
        "connection": connection_string(db),
        "role_form": RoleCreateForm(prefix=db.account.prefix),
    }
    return render_page_or_fragment(
        request, "provisioning/database_detail.html", "provisioning/_database_state.html", context
    )


def database_delete(request, pk: int):
    db = get_database_for_user(request, pk)
    return confirm_delete(
        request,
        expected=db.name,
        delete=lambda: services.delete_database(db, actor=request.user),
        success=f"{db.name} is being deleted.",
        done=reverse("provisioning:database_detail", args=[db.pk]),
        template="provisioning/database_delete.html",
        context={"db": db},
    )


@require_verified_email
def role_create(request, pk: int):
    db = get_database_for_user(request, pk)
    form = RoleCreateForm(posted(request), prefix=db.account.prefix)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role, password = services.add_role(
                db,
                data["name"],
                privilege=data["privilege"],
                password=data["password"] or None,
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            return _password_shown(request, db, role.name, password)
    return render(request, "provisioning/role_form.html", {"db": db, "form": form})


def role_password(request, pk: int, role_pk: int):
    role = get_role_for_user(request, pk, role_pk)
    db = role.database
    form = PasswordForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            role, password = services.reset_role_password(
                role, password=form.cleaned_data["password"] or None, actor=request.user
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            return _password_shown(request, db, role.name, password, status=200)
    context = {"db": db, "role": role, "form": form}
    return render(request, "provisioning/role_password.html", context)


@require_POST
def role_remove(request, pk: int, role_pk: int):
    role = get_role_for_user(request, pk, role_pk)
    try:
        services.remove_role(role, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"The role {role.name} is being removed.")
    return redirect("provisioning:database_detail", pk=pk)


@admin_required
def database_overview(request):
    queryset = Database.objects.select_related("account", "server").order_by("name")
    server_id, state = request.GET.get("server", ""), request.GET.get("state", "")
    if server_id.isdigit():
        queryset = queryset.filter(server_id=int(server_id))
    if state in ResourceState.values:
        queryset = queryset.filter(state=state)
    context = {
        "page": paginate(request, queryset),
        "servers": Server.objects.order_by("name"),
        "states": ResourceState.choices,
        "server_id": server_id,
        "state": state,
        "qs": querystring_without_page(request),
    }
    return render_live_list(
        request,
        "provisioning/admin_databases.html",
        "provisioning/_admin_database_rows.html",
        context,
    )


def connection_string(db, role_name: str | None = None, password: str | None = None) -> str:
    role = role_name or db.owner_role
    secret = quote(password, safe="") if password else "PASSWORD"
    settings = db.server.settings_for("database")
    host = settings.get("host") or db.server.address
    port = settings.get("port") or 5432
    return f"postgresql://{role}:{secret}@{host}:{port}/{db.name}"
