"""Emergency alerts (取組12): what an alert costs the portal, beside same-run baselines.

    uv run python bench/alerts_bench.py                      # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \
        uv run python bench/alerts_bench.py                  # PostgreSQL (flushed)

1. The banner on every page: the portal home page rendered BENCH_PAGES times (default 300)
   through Django's test client with three published alerts in force, beside the same page
   with none (the baseline); median and p95 milliseconds and the ratio.
2. Publishing checks the CAP document against the official XSD: building and validating one
   four-language CAP document, beside building it only (the baseline), BENCH_DOCS times
   (default 200).
3. The Atom feed with 100 published alerts, BENCH_PAGES / 10 requests, beside the alert list
   page of the same alerts.
"""

import os

from benchsetup import percentiles, setup_django, timed_ms

setup_django()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

PAGES = int(os.environ.get("BENCH_PAGES", "300"))
DOCS = int(os.environ.get("BENCH_DOCS", "200"))


def measure(label, func, times):
    samples = [timed_ms(func) for _ in range(times)]
    median, p95 = percentiles(samples)
    print(f"  {label:<48} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    return median


def main():
    setup_test_environment()
    call_command("load_minato_reference", verbosity=0)
    from cityhall.core.models import User
    from cityhall.disaster import alerts_cap, services
    from cityhall.disaster.models import Alert

    Alert.objects.all().delete()
    composer = User.objects.create_superuser(email="bench.composer@example.invalid",
                                             password="x", is_staff=True)
    approver = User.objects.create_superuser(email="bench.approver@example.invalid",
                                             password="x", is_staff=True)

    def publish(index, areas):
        alert = services.alert_create(
            actor=composer, template_key="evacuation_level_4",
            parameters={"hazard": "flood", "time": "2031-06-02T14:30"}, area_codes=areas)
        services.alert_submit(alert=alert, actor=composer)
        return services.alert_approve(alert=alert, actor=approver)

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get("/")  # warm up caches and templates
    print(f"1. home page, {PAGES} requests")
    base = measure("no alert in force (baseline)", lambda: client.get("/"), PAGES)
    alerts = [publish(n, areas) for n, areas in enumerate(
        [["shiba"], ["azabu", "akasaka"], ["takanawa", "shibaura-konan"]])]
    assert alerts[0].texts["en"]["headline"] in client.get("/").content.decode()
    with_banner = measure("three alerts in force (banner)", lambda: client.get("/"), PAGES)
    print(f"  ratio {with_banner / base:.2f}x")

    print(f"2. one CAP document (4 <info>), {DOCS} times")
    alert = alerts[0]
    build = measure("build only (baseline)", lambda: alerts_cap.build(alert), DOCS)
    check = measure("build and validate against the XSD",
                    lambda: alerts_cap.validation_errors(alerts_cap.build(alert)), DOCS)
    print(f"  ratio {check / build:.2f}x")

    for n in range(97):
        publish(n, ["shiba"])
    requests = max(PAGES // 10, 10)
    print(f"3. 100 published alerts, {requests} requests")
    page = measure("alert list page (baseline)", lambda: client.get("/alerts/"), requests)
    feed = measure("Atom feed /alerts/feed.atom", lambda: client.get("/alerts/feed.atom"),
                   requests)
    print(f"  ratio {feed / page:.2f}x")


if __name__ == "__main__":
    main()
