"""The shelter status API under concurrent load (取組12: the public must hold a surge), beside a
same-run baseline of nginx serving the same JSON from a file.

    uv run python bench/shelters_api_bench.py                  # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \\
        uv run python bench/shelters_api_bench.py              # PostgreSQL (flushed)

Needs `wrk` and `nginx` (Debian packages; `make bench` installs them when run as root).
The app is served by gunicorn (BENCH_WORKERS gthread workers, default: the number of CPUs,
with BENCH_THREADS threads each, default 4) on
loopback with the Minato data (144 places, a dozen of them open), the local-memory cache of
each worker (as on one machine without Redis; with REDIS_URL set, the shared Redis cache).
nginx serves the very bytes the API returned, from a file, as an unprivileged foreground
process with its own temporary configuration and the same number of workers.

`wrk` runs BENCH_SECONDS (default 10) with BENCH_CONNECTIONS (default 64) connections for:
  1. nginx, the JSON file (the baseline: as fast as this machine serves these bytes);
  2. the API, full 200 responses (cached body, built once per status version);
  3. the API, revalidation with If-None-Match (304, no body), as browsers and proxies do;
  4. the API during updates: a status update every BENCH_UPDATE_EVERY seconds (default 1),
     so every response after an update is rebuilt once per worker and then cached again.
Printed: requests/s, median and p99 latency, and each run's throughput as a share of nginx's.
Run 4 also checks that the last update is what the API serves at the end.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchsetup import ROOT, setup_django

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
# gthread workers keep connections alive (sync workers close each one), as behind a proxy.
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
UPDATE_EVERY = float(os.environ.get("BENCH_UPDATE_EVERY", "1"))
PATH = "/api/v1/shelters"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} stopped at start (exit {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start listening on {port}")


def run_wrk(url: str, headers: dict | None = None, *, connections: int | None = None,
            timeout_seconds: int | None = None) -> dict:
    """wrk for BENCH_SECONDS: requests/s, median and p99 ms, and the failed requests
    (non-2xx/3xx answers and, with a timeout, the requests that ran past it)."""
    command = ["wrk", "--latency", "-t", str(min(4, os.cpu_count() or 2)),
               "-c", str(connections or CONNECTIONS), "-d", f"{SECONDS}s"]
    if timeout_seconds:
        command += ["--timeout", f"{timeout_seconds}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True,
                            check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    return {"rps": rps, "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
            "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
            "errors": (int(errors.group(1)) if errors else 0)
            + (int(timeouts.group(1)) if timeouts else 0)}


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def drop_privileges():
    # nginx runs unprivileged: as "nobody" when the benchmark itself runs as root.
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)


def start_nginx(folder: Path, body: bytes, port: int, path: str = PATH):
    """nginx serving `body` at `path` from a file, unprivileged, in the foreground."""
    (folder / "body.json").write_bytes(body)
    config = folder / "nginx.conf"
    config.write_text(f"""
worker_processes {WORKERS};
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/client;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = {path} {{
            default_type application/json;
            alias {folder}/body.json;
        }}
    }}
}}
""")
    os.chmod(folder, 0o777)  # a scratch folder that the unprivileged nginx writes to
    for item in folder.iterdir():
        os.chmod(item, 0o666)
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    return subprocess.Popen([nginx, "-c", str(config), "-p", str(folder)],
                            preexec_fn=drop_privileges, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def start_gunicorn(port: int):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "cityhall.settings"}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "cityhall.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--worker-class", "gthread",
         "--threads", str(THREADS), "--keep-alive", "5",
         "--log-level", "warning", "--access-logfile", "-" if os.environ.get(
             "BENCH_VERBOSE") else "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def load_data():
    from django.contrib.auth import get_user_model

    from cityhall.core.management.commands.load_minato_demo import load_minato_reference
    from cityhall.core.models import Facility
    from cityhall.disaster import services

    load_minato_reference()
    services.shelter_capacities_load_demo()
    manager = get_user_model().objects.create_superuser(
        email="bench-manager@bench.cityhall.example", password=None)
    shelters = list(Facility.objects.filter(kind="shelter").order_by("code")[:12])
    for number, facility in enumerate(shelters):
        services.shelter_status_update(facility=facility, actor=manager, is_open=True,
                                       head_count=number * 40)
    return manager, shelters


def main():
    for tool in ("wrk", "nginx"):
        if shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
            raise SystemExit(f"{tool} is missing: run `make bench` as root, or install the "
                             f"Debian package {tool}")
    setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from cityhall.disaster import services
    from cityhall.disaster.services.shelters import VERSION_TTL

    manager, shelters = load_data()
    cache.clear()
    body = Client().get(PATH).content
    count = json.loads(body)["count"]
    folder = Path(tempfile.mkdtemp(prefix="cityhall-shelters-bench-"))
    nginx_port, app_port = free_port(), free_port()
    nginx = start_nginx(folder, body, nginx_port)
    app = start_gunicorn(app_port)
    results = {}
    try:
        wait_for(nginx_port, nginx, "nginx")
        wait_for(app_port, app, "gunicorn")
        app_url = f"http://127.0.0.1:{app_port}{PATH}"
        with urllib.request.urlopen(app_url) as response:
            etag = response.headers.get("ETag")
        results["nginx, the same JSON from a file"] = run_wrk(
            f"http://127.0.0.1:{nginx_port}{PATH}")
        results["API, 200 (cached body)"] = run_wrk(app_url)
        results["API, 304 (If-None-Match)"] = run_wrk(app_url, {"If-None-Match": etag})
        stop = threading.Event()
        updates = []

        def update_loop():
            crowding = ["available", "somewhat_crowded", "crowded"]
            while not stop.wait(UPDATE_EVERY):
                services.shelter_status_update(
                    facility=shelters[0], actor=manager,
                    crowding=crowding[len(updates) % len(crowding)])
                updates.append(crowding[len(updates) % len(crowding)])
            connection.close()

        updater = threading.Thread(target=update_loop)
        updater.start()
        try:
            results[f"API, 200 with an update every {UPDATE_EVERY:g}s"] = run_wrk(app_url)
        finally:
            stop.set()
            updater.join()
        time.sleep(VERSION_TTL + 1)  # every worker re-reads the version by then
        with urllib.request.urlopen(app_url) as response:
            served = json.loads(response.read())
        last = next((s for s in served.get("shelters", []) if s["id"] == shelters[0].code),
                    None)
    finally:
        for process in (app, nginx):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)

    baseline = results["nginx, the same JSON from a file"]["rps"]
    print(f"shelter status API, {count} places, {len(body):,} bytes of JSON; "
          f"{connection.vendor}; {WORKERS} gunicorn workers x {THREADS} threads, "
          f"{WORKERS} nginx workers; "
          f"wrk {CONNECTIONS} connections x {SECONDS}s on loopback; {os.cpu_count()} CPUs")
    print(f"{'run':<42} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs nginx':>9} {'errors':>7}")
    for name, result in results.items():
        print(f"{name:<42} {result['rps']:>10.0f} {result['p50']:>8.2f} {result['p99']:>8.2f}"
              f" {result['rps'] / baseline:>8.1%} {result['errors']:>7}")
    if updates:
        ok = last is not None and last["crowding"] == updates[-1]
        print(f"{len(updates)} updates during the run; the API serves the last one at the end: "
              f"{'yes' if ok else 'NO'}")
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
