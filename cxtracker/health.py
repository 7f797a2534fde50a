"""``GET /health/``: the web process answers and reaches its database, for a load balancer, a
container's health check and the benchmarks (bench/dashboard.py compares the dashboard with it).

No session, no template, no organization: one ``SELECT 1``. Redis is left out on purpose: the site
keeps working while it is down (the cache and the queue degrade), so it must not mark the web
process unhealthy.
"""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure is "unhealthy", never a 500 page
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})
