from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, queryset, per_page: int | None = None):
    """The page of `queryset` asked for by ?page=, clamped to the valid range."""
    paginator = Paginator(queryset, per_page or settings.PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
