from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api import ui
from api.views import account, admin, admin_catalog, admin_watch, databases, dns, mail

app_name = "api"

router = SimpleRouter()
router.register("databases", databases.DatabaseViewSet, basename="database")
router.register(
    r"databases/(?P<database_pk>\d+)/roles", databases.RoleViewSet, basename="database-role"
)
router.register("mail/domains", mail.MailDomainViewSet, basename="mail-domain")
router.register("mail/mailboxes", mail.MailboxViewSet, basename="mailbox")
router.register("mail/aliases", mail.AliasViewSet, basename="mail-alias")
router.register("jobs", account.JobViewSet, basename="job")
router.register("audit-events", account.AuditEventViewSet, basename="audit-event")
router.register("sessions", account.SessionViewSet, basename="session")
router.register("tokens", account.TokenViewSet, basename="token")
# DNS
router.register("dns/zones", dns.ZoneViewSet, basename="dns-zone")
router.register(r"dns/zones/(?P<zone_pk>\d+)/records", dns.RecordViewSet, basename="dns-record")
router.register(
    r"dns/zones/(?P<zone_pk>\d+)/revisions", dns.RevisionViewSet, basename="dns-revision"
)
# Administration
router.register("admin/accounts", admin.AdminAccountViewSet, basename="admin-account")
router.register("admin/jobs", admin.AdminJobViewSet, basename="admin-job")
router.register("admin/plans", admin_catalog.AdminPlanViewSet, basename="admin-plan")
router.register("admin/servers", admin_catalog.AdminServerViewSet, basename="admin-server")
router.register(
    "admin/drift-reports", admin_watch.AdminDriftReportViewSet, basename="admin-drift-report"
)
router.register(
    r"admin/drift-reports/(?P<report_pk>\d+)/findings",
    admin_watch.AdminDriftFindingViewSet,
    basename="admin-drift-finding",
)
router.register("admin/alert-rules", admin_watch.AdminAlertRuleViewSet, basename="admin-alert-rule")
router.register(
    "admin/alert-events", admin_watch.AdminAlertEventViewSet, basename="admin-alert-event"
)
router.register(
    "admin/audit-events", admin_watch.AdminAuditEventViewSet, basename="admin-audit-event"
)
router.register("admin/dns/templates", dns.AdminZoneTemplateViewSet, basename="admin-dns-template")
router.register("admin/mail/mailboxes", mail.AdminMailboxViewSet, basename="admin-mailbox")


def _public(view):
    view.login_required = False
    return view


urlpatterns = [
    path("account/", account.AccountView.as_view(), name="account"),
    path("schema/", _public(SpectacularAPIView.as_view(api_version="v1")), name="schema"),
    path("docs/", ui.api_docs, name="docs"),
    path("", include(router.urls)),
]
