import pytest
from django.urls import reverse

from accounts.models import HostingAccount, Plan, User
from security.models import AuditEvent
from tests.conftest import PASSWORD

ADMIN_PAGES = [
    ("accounts:admin_overview", False),
    ("accounts:customer_list", False),
    ("accounts:customer_create", False),
    ("accounts:plan_list", False),
    ("accounts:plan_create", False),
    ("accounts:customer_edit", True),
    ("accounts:customer_delete", True),
]


def _url(name, needs_pk, pk):
    return reverse(name, args=[pk]) if needs_pk else reverse(name)


@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
def test_anonymous_is_sent_to_login(client, alice_account, name, needs_pk):
    url = _url(name, needs_pk, alice_account.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
def test_customers_are_refused_admin_pages(alice_client, alice_account, name, needs_pk):
    response = alice_client.get(_url(name, needs_pk, alice_account.pk))
    assert response.status_code == 403
    assert b"Not allowed" in response.content


@pytest.mark.parametrize(("name", "needs_pk"), ADMIN_PAGES)
def test_admins_see_admin_pages(admin_client, alice_account, name, needs_pk):
    assert admin_client.get(_url(name, needs_pk, alice_account.pk)).status_code == 200


def test_home_sends_each_role_to_its_dashboard(admin_client, client, alice_account):
    assert admin_client.get("/")["Location"] == reverse("accounts:admin_overview")
    client.force_login(alice_account.owner)
    assert client.get("/")["Location"] == reverse("accounts:dashboard")


def test_customer_dashboard_shows_account_plan_and_usage(alice_client, alice_account):
    page = alice_client.get(reverse("accounts:dashboard")).content.decode()
    assert "Alice Shop" in page and "Standard" in page
    assert "0 / 3" in page and "0 / 500" in page


def test_customer_sees_own_account_but_not_anothers(alice_client, alice_account, bob_account):
    own = alice_client.get(reverse("accounts:account_detail", args=[alice_account.pk]))
    assert own.status_code == 200 and b"Alice Shop" in own.content
    other = alice_client.get(reverse("accounts:account_detail", args=[bob_account.pk]))
    assert other.status_code == 404
    assert b"Bob" not in other.content


def test_admin_sees_any_account(admin_client, bob_account):
    response = admin_client.get(reverse("accounts:account_detail", args=[bob_account.pk]))
    assert response.status_code == 200 and b"Bob Garage" in response.content


def test_customer_list_searches_and_paginates(admin_client, plan, settings):
    settings.PAGE_SIZE = 5
    for i in range(12):
        owner = User.objects.create_user(f"user{i}@example.test")
        HostingAccount.objects.create(
            name=f"Shop {i:02}", prefix=f"shop{i}", owner=owner, plan=plan
        )
    first = admin_client.get(reverse("accounts:customer_list")).content.decode()
    assert "Page 1 of 3" in first and "Shop 00" in first and "Shop 05" not in first
    third = admin_client.get(reverse("accounts:customer_list") + "?page=3").content.decode()
    assert "Shop 10" in third and "Shop 11" in third
    found = admin_client.get(reverse("accounts:customer_list") + "?q=user7@").content.decode()
    assert "Shop 07" in found and "Shop 08" not in found


def test_customer_list_query_count_is_constant(admin_client, plan, django_assert_num_queries):
    for i in range(20):
        owner = User.objects.create_user(f"u{i}@example.test")
        HostingAccount.objects.create(name=f"S{i}", prefix=f"s{i}", owner=owner, plan=plan)
    # session + user + count + page (with owner and plan joined)
    with django_assert_num_queries(4):
        admin_client.get(reverse("accounts:customer_list"))


def test_customer_list_empty_state(admin_client):
    page = admin_client.get(reverse("accounts:customer_list")).content.decode()
    assert "No customers yet" in page


def test_admin_creates_a_customer_and_sees_the_password_once(admin_client, plan):
    response = admin_client.post(
        reverse("accounts:customer_create"),
        {"name": "Acme", "email": "owner@acme.test", "prefix": "acme", "plan": plan.pk},
    )
    assert response.status_code == 201
    password = response.context["password"]
    assert password and password in response.content.decode()
    account = HostingAccount.objects.get(prefix="acme")
    assert account.owner.check_password(password)
    assert AuditEvent.objects.filter(action="account.created", target_id=str(account.pk)).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("prefix", "Bad Prefix", "lowercase letters or digits"),
        ("prefix", "alice", "already taken"),
        ("email", "ALICE@example.test", "already exists"),
        ("email", "not-an-email", "valid email"),
        ("password", "123", "too short"),
    ],
)
def test_create_customer_bad_input_is_refused(admin_client, alice_account, field, value, message):
    data = {
        "name": "New",
        "email": "new@example.test",
        "prefix": "newone",
        "plan": alice_account.plan_id,
        field: value,
    }
    response = admin_client.post(reverse("accounts:customer_create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert HostingAccount.objects.count() == 1


def test_suspend_and_resume_through_the_views(admin_client, alice_account):
    admin_client.post(reverse("accounts:customer_suspend", args=[alice_account.pk]))
    alice_account.refresh_from_db()
    assert alice_account.status == "suspended"
    admin_client.post(reverse("accounts:customer_resume", args=[alice_account.pk]))
    alice_account.refresh_from_db()
    assert alice_account.status == "active"


def test_suspend_needs_post(admin_client, alice_account):
    response = admin_client.get(reverse("accounts:customer_suspend", args=[alice_account.pk]))
    assert response.status_code == 405


def test_delete_asks_for_the_prefix(admin_client, alice_account):
    url = reverse("accounts:customer_delete", args=[alice_account.pk])
    wrong = admin_client.post(url, {"confirm": "nope"})
    assert wrong.status_code == 200 and "Type alice exactly" in wrong.content.decode()
    assert HostingAccount.objects.filter(pk=alice_account.pk).exists()
    right = admin_client.post(url, {"confirm": "alice"})
    assert right.status_code == 302
    assert not HostingAccount.objects.filter(pk=alice_account.pk).exists()


def test_plan_crud(admin_client, alice_account):
    response = admin_client.post(
        reverse("accounts:plan_create"),
        {
            "name": "Gold",
            "description": "",
            "max_databases": 9,
            "max_mailboxes": 9,
            "max_dns_zones": 9,
            "disk_quota_mb": 9000,
        },
    )
    assert response.status_code == 302
    gold = Plan.objects.get(name="Gold")
    admin_client.post(
        reverse("accounts:plan_edit", args=[gold.pk]),
        {
            "name": "Gold",
            "description": "Shiny",
            "max_databases": 12,
            "max_mailboxes": 9,
            "max_dns_zones": 9,
            "disk_quota_mb": 9000,
        },
    )
    gold.refresh_from_db()
    assert gold.max_databases == 12 and gold.description == "Shiny"
    admin_client.post(reverse("accounts:plan_delete", args=[gold.pk]))
    assert not Plan.objects.filter(pk=gold.pk).exists()
    # The plan in use is kept, with a clear message.
    response = admin_client.post(
        reverse("accounts:plan_delete", args=[alice_account.plan_id]), follow=True
    )
    assert "move them to another plan" in response.content.decode()
    assert Plan.objects.filter(pk=alice_account.plan_id).exists()


def test_plan_form_refuses_negative_quota(admin_client):
    response = admin_client.post(
        reverse("accounts:plan_create"),
        {
            "name": "Bad",
            "max_databases": -1,
            "max_mailboxes": 1,
            "max_dns_zones": 1,
            "disk_quota_mb": 0,
        },
    )
    assert response.status_code == 200
    assert not Plan.objects.filter(name="Bad").exists()


def test_login_success_and_failure_are_audited(client, alice_account):
    url = reverse("accounts:login")
    bad = client.post(url, {"username": "alice@example.test", "password": "wrong"})
    assert bad.status_code == 200 and "didn't match" in bad.content.decode()
    good = client.post(url, {"username": "alice@example.test", "password": PASSWORD})
    assert good.status_code == 302
    client.post(reverse("accounts:logout"))
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["auth.login_failed", "auth.login_succeeded", "auth.logout"]


def test_suspended_customer_cannot_log_in(client, alice_account, admin_user):
    from accounts import services

    services.suspend_account(alice_account, actor=admin_user)
    response = client.post(
        reverse("accounts:login"), {"username": "alice@example.test", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_change(alice_client, alice_account):
    response = alice_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    alice_account.owner.refresh_from_db()
    assert alice_account.owner.check_password("a-new-long-passphrase")
    assert AuditEvent.objects.filter(action="auth.password_changed").exists()


def test_unknown_page_renders_the_custom_404(admin_client, settings):
    settings.DEBUG = False
    response = admin_client.get("/no-such-page/")
    assert response.status_code == 404 and b"Page not found" in response.content


PLAN_PAGES = ["accounts:plan_edit", "accounts:plan_delete"]
ACCOUNT_ACTIONS = ["accounts:customer_suspend", "accounts:customer_resume"]


@pytest.mark.parametrize("name", PLAN_PAGES)
def test_plan_pages_are_for_admins_only(client, admin_client, alice_account, name):
    url = reverse(name, args=[alice_account.plan_id])
    assert admin_client.get(url).status_code == 200
    admin_client.logout()
    assert client.get(url)["Location"].startswith(reverse("accounts:login"))
    client.force_login(alice_account.owner)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("name", ACCOUNT_ACTIONS)
def test_customers_cannot_suspend_or_resume(alice_client, alice_account, bob_account, name):
    for account in (alice_account, bob_account):
        assert alice_client.post(reverse(name, args=[account.pk])).status_code == 403
    assert HostingAccount.objects.filter(status="active").count() == 2


@pytest.mark.parametrize("name", ACCOUNT_ACTIONS)
def test_anonymous_cannot_suspend_or_resume(client, alice_account, name):
    response = client.post(reverse(name, args=[alice_account.pk]))
    assert response["Location"].startswith(reverse("accounts:login"))
    alice_account.refresh_from_db()
    assert alice_account.status == "active"


def test_customer_pages_send_anonymous_to_login(client, alice_account):
    for url in (reverse("accounts:dashboard"), reverse("accounts:account_detail", args=[1])):
        assert client.get(url)["Location"].startswith(reverse("accounts:login"))


def test_the_customer_dashboard_is_not_for_admins(admin_client):
    assert admin_client.get(reverse("accounts:dashboard")).status_code == 403


def test_server_errors_render_the_custom_500_page(rf):
    from panel.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Traceback" not in response.content


def test_an_admin_edit_is_audited_with_before_after_and_the_admins_ip(
    admin_client, alice_account, plan
):
    gold = Plan.objects.create(name="Gold", max_databases=9, disk_quota_mb=900)
    response = admin_client.post(
        reverse("accounts:customer_edit", args=[alice_account.pk]),
        {"name": "Alice Ltd", "plan": gold.pk},
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="account.updated", target_id=str(alice_account.pk))
    assert event.details["changes"] == {
        "name": {"old": "Alice Shop", "new": "Alice Ltd"},
        "plan": {"old": "Standard", "new": "Gold"},
    }
    assert event.ip == "198.51.100.23"
    assert event.actor.email == "admin@example.test"


def test_admin_suspension_records_the_admins_ip(admin_client, alice_account):
    admin_client.post(
        reverse("accounts:customer_suspend", args=[alice_account.pk]), REMOTE_ADDR="198.51.100.24"
    )
    event = AuditEvent.objects.get(action="account.suspended", target_id=str(alice_account.pk))
    assert event.ip == "198.51.100.24"


@pytest.mark.parametrize("value", ["Acme\r\nForged: line", "Acme\nline", "Acme\rline"])
def test_admin_single_line_fields_refuse_line_breaks(admin_client, alice_account, plan, value):
    edit = admin_client.post(
        reverse("accounts:customer_edit", args=[alice_account.pk]), {"name": value, "plan": plan.pk}
    )
    assert edit.status_code == 200
    assert "Use a single line (no line breaks)." in edit.content.decode()
    alice_account.refresh_from_db()
    assert alice_account.name == "Alice Shop"
    plan_page = admin_client.post(
        reverse("accounts:plan_create"),
        {
            "name": "Gold",
            "description": value,
            "max_databases": 1,
            "max_mailboxes": 1,
            "max_dns_zones": 1,
            "disk_quota_mb": 1,
        },
    )
    assert "Use a single line (no line breaks)." in plan_page.content.decode()
    assert not Plan.objects.filter(name="Gold").exists()


@pytest.mark.parametrize(("length", "accepted"), [(99, True), (100, True), (101, False)])
def test_account_names_are_capped_at_100_characters(
    admin_client, alice_account, plan, length, accepted
):
    name = "n" * length
    admin_client.post(
        reverse("accounts:customer_edit", args=[alice_account.pk]), {"name": name, "plan": plan.pk}
    )
    alice_account.refresh_from_db()
    assert (alice_account.name == name) is accepted
