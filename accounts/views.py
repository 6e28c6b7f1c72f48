"""Admin pages for customers and plans; the customer's dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import dashboard as panels
from accounts import services
from accounts.access import admin_required, customer_required, get_account_for_user
from accounts.choices import AccountStatus
from accounts.exceptions import AccountsError
from accounts.forms import AccountEditForm, ConfirmNameForm, CustomerCreateForm, PlanForm
from accounts.models import HostingAccount, Plan
from accounts.usage import available_quotas, usage_for
from panel.pagination import paginate, querystring_without_page
from security import sudo
from security.models import AuditEvent

SORTS = {"name": "name", "-name": "-name", "created": "created_at", "-created": "-created_at"}


@admin_required
def admin_overview(request):
    counts = HostingAccount.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=AccountStatus.ACTIVE)),
        suspended=Count("id", filter=Q(status=AccountStatus.SUSPENDED)),
    )
    context = {
        "counts": counts,
        "plan_count": Plan.objects.count(),
        "recent_events": AuditEvent.objects.select_related("actor")[:10],
        "sections": panels.sections_for(request, panels.ADMIN),
    }
    return render(request, "accounts/admin_overview.html", context)


@admin_required
def customer_list(request):
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    sort = request.GET.get("sort", "name")
    accounts = HostingAccount.objects.select_related("owner", "plan")
    if query:
        accounts = accounts.filter(
            Q(name__icontains=query)
            | Q(prefix__icontains=query)
            | Q(owner__email__icontains=query)
            | Q(owner__display_name__icontains=query)
        )
    if status in AccountStatus.values:
        accounts = accounts.filter(status=status)
    accounts = accounts.order_by(SORTS.get(sort, "name"), "pk")
    context = {
        "page": paginate(request, accounts),
        "query": query,
        "status": status,
        "sort": sort,
        "statuses": AccountStatus.choices,
        "qs": querystring_without_page(request),
    }
    return render(request, "accounts/customer_list.html", context)


@admin_required
def customer_create(request):
    form = CustomerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, password = services.create_customer(
                name=data["name"],
                email=data["email"],
                prefix=data["prefix"],
                plan=data["plan"],
                display_name=data["display_name"],
                password=data["password"] or None,
                actor=request.user,
            )
        except AccountsError as exc:
            form.add_error(None, str(exc))
        else:
            # Rendered, not redirected: a generated password is shown exactly once.
            generated = None if data["password"] else password
            context = {"account": account, "password": generated}
            return render(request, "accounts/customer_created.html", context, status=201)
    return render(request, "accounts/customer_form.html", {"form": form})


def account_detail(request, pk: int):
    account = get_account_for_user(request, pk)
    context = {
        "account": account,
        "usage": usage_for(account),
        "events": AuditEvent.objects.filter(account_id=account.pk)[:10],
    }
    return render(request, "accounts/account_detail.html", context)


@admin_required
def customer_edit(request, pk: int):
    account = get_account_for_user(request, pk)
    form = AccountEditForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        services.update_account(
            account,
            name=form.cleaned_data["name"],
            plan=form.cleaned_data["plan"],
            actor=request.user,
        )
        messages.success(request, f"{account.name} was updated.")
        return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/customer_edit.html", {"form": form, "account": account})


@admin_required
@require_POST
def customer_suspend(request, pk: int):
    account = services.suspend_account(get_account_for_user(request, pk), actor=request.user)
    messages.warning(request, f"{account.name} is suspended; its owner can no longer log in.")
    return redirect("accounts:account_detail", pk=account.pk)


@admin_required
@require_POST
def customer_resume(request, pk: int):
    account = services.resume_account(get_account_for_user(request, pk), actor=request.user)
    messages.success(request, f"{account.name} is active again.")
    return redirect("accounts:account_detail", pk=account.pk)


@admin_required
def customer_delete(request, pk: int):
    account = get_account_for_user(request, pk)
    if not sudo.is_active(request):
        return sudo.ask_password(request)
    form = ConfirmNameForm(request.POST or None, expected=account.prefix)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_account(account, actor=request.user)
        except AccountsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{account.name} was deleted.")
            return redirect("accounts:customer_list")
    return render(request, "accounts/customer_delete.html", {"form": form, "account": account})


@admin_required
def plan_list(request):
    plans = Plan.objects.annotate(account_count=Count("accounts")).order_by("name")
    page = paginate(request, plans)
    quotas = available_quotas()
    for plan in page.object_list:
        plan.quota_values = [getattr(plan, field) for _, _, field in quotas]
    context = {"page": page, "quota_labels": [label for _, label, _ in quotas]}
    return render(request, "accounts/plan_list.html", context)


@admin_required
def plan_form(request, pk: int | None = None):
    plan = get_object_or_404(Plan, pk=pk) if pk else None
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        plan = services.save_plan(form.instance, actor=request.user)
        messages.success(request, f"Plan {plan.name} was saved.")
        return redirect("accounts:plan_list")
    return render(request, "accounts/plan_form.html", {"form": form, "plan": plan})


@admin_required
def plan_delete(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    if request.method == "POST":
        try:
            services.delete_plan(plan, actor=request.user)
        except AccountsError as exc:
            messages.error(request, str(exc))
            return redirect("accounts:plan_list")
        messages.success(request, f"Plan {plan.name} was deleted.")
        return redirect("accounts:plan_list")
    return render(request, "accounts/plan_delete.html", {"plan": plan})


@customer_required
def dashboard(request):
    account = request.user.hosting_account
    usage = usage_for(account)
    context = {
        "account": account,
        "usage": usage,
        "warnings": panels.warnings_from(usage),
        "security_events": AuditEvent.objects.filter(
            account_id=account.pk, action__in=panels.SECURITY_ACTIONS
        )[:8],
        "sections": panels.sections_for(request, panels.CUSTOMER),
    }
    return render(request, "accounts/dashboard.html", context)
