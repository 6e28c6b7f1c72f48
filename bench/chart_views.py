"""The chart baseline: a bare Django view that runs the chart's own series SQL.

Same server, same middleware, same session cookie as the panel's data.json; what it leaves
out is exactly what the panel adds: the admin check, the server lookup, the envelope.
It returns the rows as JSON the plainest way (JsonResponse over the fetched rows).
"""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from monitoring import queries


@login_not_required
def bare_series(request, pk: int):
    plan = queries.plan_for(request.GET.get("range", "24h"), timezone.now())
    statement, params = queries.series_sql(plan)
    params.insert(2, pk)
    with connection.cursor() as cursor:
        cursor.execute(statement + " ORDER BY b", params)
        rows = cursor.fetchall()
    return JsonResponse({"rows": rows})
