"""Profile → API tokens: list, create (shown once) and revoke, in a logged-in session only.

Creating a token asks for the password again (sudo mode) like other sensitive actions; the
API itself can never create one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api import services
from api.forms import TokenForm
from api.models import ApiToken
from panel import errors
from security import sudo


@never_cache
def token_list(request):
    form = TokenForm(request.POST or None, user=request.user)
    created = None
    if request.method == "POST":
        if not sudo.is_active(request):
            return sudo.ask_password(request)
        if form.is_valid():
            try:
                _, created = services.create_token(
                    request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.scopes(),
                    objects=form.objects_list(),
                    cidrs=form.cidr_list(),
                    days=form.cleaned_data["days"],
                    request=request,
                )
            except errors.DomainError as exc:
                errors.add_to_form(form, exc)
            else:
                form = TokenForm(user=request.user)
    context = {
        "form": form,
        "created": created,
        "tokens": ApiToken.objects.for_user(request.user),
    }
    status = 400 if request.method == "POST" and created is None else 200
    return render(request, "api/tokens.html", context, status=status)


@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken.objects.for_user(request.user), pk=pk)
    services.revoke_token(token, request=request)
    messages.success(request, f"The token {token.name} was revoked.")
    return redirect("api_tokens")


@login_not_required
def api_docs(request):
    """The API reference: Swagger UI (from static/vendor) reading /api/v1/schema/."""
    return render(request, "api/docs.html")
