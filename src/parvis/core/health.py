"""Health for a load balancer and an operator: /healthz (the process answers) and /readyz (the database
answers and every migration is applied). Neither reads a session nor writes anything."""

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

_migrated = False  # once every migration is seen applied, a process does not look again


def migrations_pending() -> int:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    global _migrated
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = 0 if _migrated else migrations_pending()
    except DatabaseError as exc:
        response = JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
        response["Retry-After"] = "5"
        return response
    if pending:
        return JsonResponse({"status": "unavailable", "migrations_pending": pending}, status=503)
    _migrated = True
    return JsonResponse({"status": "ok"})
