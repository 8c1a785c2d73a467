"""Shared set-up of the benchmarks: Django on a scratch database.

BENCH_DATABASE_URL selects the database (e.g. a PostgreSQL database that the benchmark may
flush); without it a fresh SQLite file in a temporary folder is used, so no benchmark ever
touches the portal's own data.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    sys.path.insert(0, str(ROOT / "src"))
    scratch = tempfile.mkdtemp(prefix="cityhall-bench-")
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL",
                                                f"sqlite:///{scratch}/bench.sqlite3")
    os.environ.setdefault("CITYHALL_DATA_DIR", scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityhall.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed_ms(func):
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000
