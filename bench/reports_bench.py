"""Street-problem reports (取組13) at a city's scale: the nearby-duplicate search over 100,000
reports, and the Open311 `requests.json` listing under load, each beside a baseline measured
in the same run.

    uv run python bench/reports_bench.py                  # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \\
        uv run python bench/reports_bench.py              # PostgreSQL (flushed)

1. BENCH_REPORTS reports (default 100,000; bulk-inserted, not through `report_create`: the
   bench measures reading) spread over Minato's extent, the ten categories and the last
   year, four in five still open. Then, for BENCH_POINTS random points (default 200) and
   random categories, `selectors.nearby_open_reports(radius_m=100)` (a latitude/longitude box
   on the (category, status, latitude, longitude) index, then the exact distance), beside
   the baseline a plain query makes: every open report of the category read and measured in
   Python. Both must find the same reports at every point. Printed: median and p95 ms.
2. GET /open311/v2/requests.json on gunicorn (BENCH_WORKERS gthread workers x BENCH_THREADS,
   as `shelters_api_bench.py`), driven by `wrk` for BENCH_SECONDS with BENCH_CONNECTIONS:
   the default listing (the 1000 newest of the last 90 days), one page of 50, one request;
   beside nginx serving the bytes of the default listing from a file, and beside the
   listing's database query alone, in process. Needs `wrk` and `nginx` (`make bench-deps`).
   The read rate limit is switched off for the run (OPEN311_GET_RATE_PER_MINUTE=0).
"""

import datetime
import os
import random
import secrets
import shutil
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from benchsetup import percentiles, setup_django
from shelters_api_bench import (
    SECONDS,
    THREADS,
    WORKERS,
    free_port,
    start_gunicorn,
    start_nginx,
    wait_for,
)
from shelters_api_bench import run_wrk as wrk

REPORTS = int(os.environ.get("BENCH_REPORTS", "100000"))
POINTS = int(os.environ.get("BENCH_POINTS", "200"))
RADIUS_M = 100
# Minato's extent (WGS84): from Takanawa to Akasaka, from Aoyama to Odaiba's west shore.
SOUTH, NORTH, WEST, EAST = 35.625, 35.685, 139.715, 139.775
SEED = 13
# Fewer connections than the shelter bench: a listing is half a megabyte of JSON.
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))


def create_reports(count: int) -> float:
    """Reports with a history like real ones: each has its "reported" step; a closed one its
    status change with a reply to the public; a third of the open ones an acknowledgement
    with a reply; one in five a photo (a row only: the bench never reads the file), half of
    them published."""
    from django.db import transaction
    from django.utils import timezone

    from cityhall.core.models import Town
    from cityhall.reports.models import Report, ReportPhoto, ReportUpdate, ServiceCategory

    rng = random.Random(SEED)
    categories = list(ServiceCategory.objects.select_related("department"))
    towns = list(Town.objects.select_related("branch_office"))
    open_statuses = list(Report.OPEN_STATUSES)
    closed_statuses = list(Report.CLOSED_STATUSES[:2])
    now = timezone.now()
    started = time.perf_counter()

    def flush(reports):
        Report.objects.bulk_create(reports)
        updates, photos = [], []
        for report in reports:
            updates.append(ReportUpdate(report=report, kind=ReportUpdate.Kind.CREATED,
                                        status_after=Report.Status.NEW,
                                        created_at=report.created_at,
                                        notified_at=report.created_at))
            later = report.created_at + datetime.timedelta(hours=rng.randint(1, 72))
            if report.status in Report.CLOSED_STATUSES or rng.random() < 0.33:
                updates.append(ReportUpdate(
                    report=report, kind=ReportUpdate.Kind.STATUS,
                    status_before=Report.Status.NEW, status_after=report.status,
                    public_note="現地を確認し、対応しました。", created_at=later,
                    notified_at=later))
            if rng.random() < 0.2:
                photos.append(ReportPhoto(report=report, image="reports/bench.jpg", width=800,
                                          height=600, size=90_000, sha256="0" * 64,
                                          is_public=rng.random() < 0.5))
        ReportUpdate.objects.bulk_create(updates)
        ReportPhoto.objects.bulk_create(photos)

    batch = []
    with transaction.atomic():
        for number in range(1, count + 1):
            category = rng.choice(categories)
            town = rng.choice(towns)
            created = now - datetime.timedelta(seconds=rng.randint(0, 365 * 86400))
            status = (rng.choice(open_statuses) if rng.random() < 0.8
                      else rng.choice(closed_statuses))
            batch.append(Report(
                reference=f"B{number:07d}", category=category, status=status,
                description="bench", latitude=Decimal(f"{rng.uniform(SOUTH, NORTH):.6f}"),
                longitude=Decimal(f"{rng.uniform(WEST, EAST):.6f}"), town=town,
                branch_office=town.branch_office, department=category.department,
                source=Report.Source.WEB, open311_token=secrets.token_hex(16),
                created_at=created, updated_at=created))
            if len(batch) == 5000:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    return time.perf_counter() - started


def full_scan(category, latitude: float, longitude: float) -> list[int]:
    """The baseline: every open report of the category, measured in Python."""
    from cityhall.core.geo import haversine_m
    from cityhall.reports.models import Report

    found = []
    for pk, lat, lon in Report.objects.filter(
            category=category, status__in=Report.OPEN_STATUSES).values_list(
            "pk", "latitude", "longitude"):
        if lat is None:
            continue
        distance = haversine_m(latitude, longitude, float(lat), float(lon))
        if distance <= RADIUS_M:
            found.append((distance, pk))
    return [pk for _distance, pk in sorted(found)]


def bench_nearby() -> list[tuple[str, float, float]]:
    from cityhall.reports.models import ServiceCategory
    from cityhall.reports.selectors import nearby_open_reports

    rng = random.Random(SEED + 1)
    categories = list(ServiceCategory.objects.all())
    points = [(rng.choice(categories), rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST))
              for _ in range(POINTS)]
    indexed, scanned, found_total = [], [], 0
    for category, lat, lon in points:
        started = time.perf_counter()
        near = [item.report.pk for item in nearby_open_reports(
            category=category, latitude=lat, longitude=lon, radius_m=RADIUS_M, limit=10_000)]
        indexed.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        scan = full_scan(category, lat, lon)
        scanned.append((time.perf_counter() - started) * 1000)
        if near != scan:
            raise SystemExit(f"the selector and the full scan disagree at {lat}, {lon}")
        found_total += len(near)
    print(f"  {POINTS} points, {RADIUS_M} m, {found_total / POINTS:.1f} open reports of the "
          "category found per point on average; both methods agree at every point")
    return [("nearby_open_reports (box on the index, then distance)", *percentiles(indexed)),
            ("baseline: all open reports of the category, in Python", *percentiles(scanned))]


def run_wrk(url: str) -> dict:
    # A listing is half a megabyte: fewer connections, and a generous timeout.
    return wrk(url, connections=CONNECTIONS, timeout_seconds=30)


def in_process_rates(seconds: float = 5.0) -> tuple[float, float]:
    """The default listing in process, per second: its three database queries alone (the
    1000 rows, their latest public replies, their first public photos), and the whole
    document built and written as JSON (no HTTP, no middleware)."""
    from cityhall.reports.models import ReportPhoto, ReportUpdate
    from cityhall.reports.open311.documents import find_requests, requests_queryset
    from cityhall.reports.open311.formats import to_json
    from cityhall.reports.open311.parsing import parse_request_filters

    filters = parse_request_filters({})

    def queries():
        rows = list(requests_queryset().filter(
            created_at__gte=filters.start, created_at__lte=filters.end)[:1000])
        ids = [row["pk"] for row in rows]
        list(ReportUpdate.objects.filter(report_id__in=ids).exclude(public_note="")
             .values_list("report_id", "public_note"))
        list(ReportPhoto.objects.filter(report_id__in=ids, is_public=True)
             .values_list("report_id", "pk"))

    def whole():
        to_json(find_requests(filters))

    # Alternated, so that both see the same load on a shared machine.
    queries()
    whole()
    spent = {queries: 0.0, whole: 0.0}
    runs = 0
    while sum(spent.values()) < 2 * seconds:
        for work in (queries, whole):
            started = time.perf_counter()
            work()
            spent[work] += time.perf_counter() - started
        runs += 1
    rates = [runs / spent[queries], runs / spent[whole]]
    return rates[0], rates[1]


def bench_listing() -> tuple[dict, int]:
    from django.test import Client

    from cityhall.reports.models import Report

    path = "/open311/v2/requests.json"
    body = Client().get(path).content
    newest = Report.objects.order_by("-created_at").values_list("reference", flat=True)[0]
    folder = Path(tempfile.mkdtemp(prefix="cityhall-reports-bench-"))
    nginx_port, app_port = free_port(), free_port()
    nginx = start_nginx(folder, body, nginx_port, path)
    app = start_gunicorn(app_port)
    results = {}
    try:
        wait_for(nginx_port, nginx, "nginx")
        wait_for(app_port, app, "gunicorn")
        app_url = f"http://127.0.0.1:{app_port}/open311/v2"
        # Each worker's first request loads the URL map and the views (seconds): not measured.
        subprocess.run(["wrk", "-t", "2", "-c", str(2 * WORKERS * THREADS), "-d", "8s",
                        "--timeout", "30s", f"{app_url}/requests.json?page_size=1"],
                       capture_output=True, check=True)
        results["nginx, the same JSON from a file"] = run_wrk(
            f"http://127.0.0.1:{nginx_port}{path}")
        results["requests.json (1000 newest of 90 days)"] = run_wrk(f"{app_url}/requests.json")
        results["requests.json?page_size=50"] = run_wrk(
            f"{app_url}/requests.json?page_size=50")
        results["requests/<id>.json (one request)"] = run_wrk(
            f"{app_url}/requests/{newest}.json")
    finally:
        for process in (app, nginx):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return results, len(body)


def main():
    for tool in ("wrk", "nginx"):
        if shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
            raise SystemExit(f"{tool} is missing: run `make bench-deps` as root, or install "
                             f"the Debian package {tool}")
    os.environ["OPEN311_GET_RATE_PER_MINUTE"] = "0"
    os.environ.setdefault("DEBUG", "0")
    setup_django()
    from django.db import connection

    from cityhall.core.management.commands.load_minato_demo import load_minato_reference

    load_minato_reference()
    seconds = create_reports(REPORTS)
    # Statistics for the planner, as autovacuum (PostgreSQL) or `ANALYZE` after a bulk load
    # would give a real database.
    with connection.cursor() as cursor:
        for table in ("reports_report", "reports_reportupdate", "reports_reportphoto"):
            cursor.execute(f"ANALYZE {table}")
    print(f"street-problem reports; {connection.vendor}; {REPORTS:,} reports inserted in "
          f"{seconds:.1f} s; {os.cpu_count()} CPUs")
    print("1. nearby-duplicate search")
    rows = bench_nearby()
    print(f"  {'method':<58} {'median ms':>10} {'p95 ms':>8}")
    for name, median, p95 in rows:
        print(f"  {name:<58} {median:>10.2f} {p95:>8.2f}")
    print(f"  the selector is {rows[1][1] / rows[0][1]:.0f}x faster at the median")

    print("2. Open311 requests.json listing")
    query_rate, document_rate = in_process_rates()
    connection.close()  # gunicorn's workers open their own connections
    results, size = bench_listing()
    baseline = results["nginx, the same JSON from a file"]["rps"]
    print(f"  {WORKERS} gunicorn workers x {THREADS} threads, {WORKERS} nginx workers; wrk "
          f"{CONNECTIONS} connections x {SECONDS}s on loopback; default listing {size:,} bytes")
    print(f"  {'run':<42} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs nginx':>9} "
          f"{'errors':>7}")
    for name, result in results.items():
        print(f"  {name:<42} {result['rps']:>10.1f} {result['p50']:>8.2f} "
              f"{result['p99']:>8.2f} {result['rps'] / baseline:>8.1%} {result['errors']:>7}")
    print(f"  in process, one CPU: the default listing's queries alone {query_rate:.1f}/s, "
          f"queries + document + JSON {document_rate:.1f}/s")
    if any(result["errors"] for result in results.values()):
        raise SystemExit("some responses were errors")


if __name__ == "__main__":
    main()
