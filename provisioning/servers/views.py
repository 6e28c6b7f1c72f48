"""Administrators' server pages: list, add/edit, test the connection, retire."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from panel.pagination import paginate
from provisioning.exceptions import ProvisioningError
from provisioning.servers import services
from provisioning.servers.forms import ServerForm
from provisioning.servers.models import Server
from provisioning.ui import form_error, toast_error


@admin_required
def server_list(request):
    servers = Server.objects.all().order_by("status", "name")
    return render(request, "provisioning/server_list.html", {"page": paginate(request, servers)})


@admin_required
def server_form(request, pk: int | None = None):
    server = get_object_or_404(Server, pk=pk) if pk else Server()
    form = ServerForm(request.POST or None, instance=server)
    if request.method == "POST" and form.is_valid():
        try:
            server = services.save_server(
                form.save(commit=False),
                database=form.database_settings(),
                password=form.cleaned_data["db_password"] or None,
                connections=form.connections(),
                actor=request.user,
            )
        except ProvisioningError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Server {server.name} saved. Test its connection next.")
            return redirect("provisioning:server_list")
    return render(request, "provisioning/server_form.html", {"form": form, "server": server})


@admin_required
@require_POST
def server_test(request, pk: int):
    server = get_object_or_404(Server, pk=pk)
    ok, message = services.test_server(server, actor=request.user)
    (messages.success if ok else messages.error)(request, f"{server.name}: {message}")
    return redirect("provisioning:server_list")


@admin_required
@require_POST
def server_retire(request, pk: int):
    server = get_object_or_404(Server, pk=pk)
    try:
        services.retire_server(server, actor=request.user)
    except ProvisioningError as exc:
        toast_error(request, exc)
    else:
        messages.success(request, f"{server.name} is retired: no new resources go there.")
    return redirect("provisioning:server_list")
