"""The state of what the portal depends on, for /healthz and the operators' dashboards."""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def _timed(check):
    started = time.perf_counter()
    try:
        detail = check() or {}
        state = "ok"
    except Exception as exc:  # a health check reports every failure, whatever its kind
        detail = {"error": type(exc).__name__}
        state = "down"
    return {"status": state, "ms": round((time.perf_counter() - started) * 1000, 1), **detail}


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_cache():
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def check_task_queue():
    from .background import live_workers

    if settings.TASK_BACKEND == "rq":
        import django_rq

        django_rq.get_connection("default").ping()
        pending = sum(django_rq.get_queue(name).count for name in settings.TASK_QUEUES)
        return {"backend": "rq", "pending": pending}
    if settings.TASK_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        pending = DBTaskResult.objects.ready().count()
        return {"backend": "database", "pending": pending,
                "workers": live_workers().count()}
    return {"backend": settings.TASK_BACKEND}


def check_all() -> dict:
    checks = {
        "database": _timed(check_database),
        "cache": _timed(check_cache),
        "task_queue": _timed(check_task_queue),
    }
    overall = "ok" if all(c["status"] == "ok" for c in checks.values()) else "down"
    return {"status": overall, "checks": checks}
