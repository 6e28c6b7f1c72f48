from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api.views import account, admin, databases, dns

app_name = "api"

router = SimpleRouter()
router.register("databases", databases.DatabaseViewSet, basename="database")
router.register(
    r"databases/(?P<database_pk>\d+)/roles", databases.RoleViewSet, basename="database-role"
)
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


def _public(view):
    view.login_required = False
    return view


urlpatterns = [
    path("account/", account.AccountView.as_view(), name="account"),
    path("schema/", _public(SpectacularAPIView.as_view(api_version="v1")), name="schema"),
    path("", include(router.urls)),
]
