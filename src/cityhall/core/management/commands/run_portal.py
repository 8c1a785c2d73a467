"""Start the portal as one command: the web server and a background worker together.

Used by the quick start (`make run`). The web server is gunicorn serving the WSGI app; the
worker is `manage.py run_worker`. Both stop when this command is interrupted, and a worker
that exits is started again.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from cityhall.core import demo


class Command(BaseCommand):
    help = "Run the web server and a background worker together (for one machine)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--web-workers", default=os.environ.get("WEB_CONCURRENCY", "2"))

    def handle(self, *args, host, port, web_workers, **options):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        web_command = [sys.executable, "-m", "gunicorn", "cityhall.wsgi:application",
                       "--bind", f"{host}:{port}", "--workers", str(web_workers),
                       "--access-logfile", "-", "--graceful-timeout", "10"]
        env = {**os.environ, "PYTHONPATH": str(settings.SRC_DIR)}
        processes = {
            "web": subprocess.Popen(web_command, env=env),
            "worker": subprocess.Popen([*manage, "run_worker"], env=env),
        }
        self.print_banner(host, port)
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                time.sleep(1)
                if processes["web"].poll() is not None:
                    self.stderr.write("The web server stopped; shutting down.")
                    break
                if processes["worker"].poll() is not None:
                    self.stderr.write("The worker stopped; starting it again.")
                    processes["worker"] = subprocess.Popen([*manage, "run_worker"], env=env)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

    def print_banner(self, host, port):
        staff = demo.STAFF["admin"]
        resident = demo.RESIDENTS["hanako"]
        lines = [
            "",
            f"  cityhall is running at http://{host}:{port}/",
            f"  Back office: http://{host}:{port}/admin/",
            f"  Demo staff login:    {staff.email} / {demo.DEMO_PASSWORD}",
            "    (staff must set up two-factor authentication at first sign-in)",
            f"  Demo resident login: {resident.email} / {demo.DEMO_PASSWORD}",
            "  Other demo staff: " + ", ".join(p.email for p in demo.STAFF.values()
                                               if p.key != "admin"),
            "  Press Ctrl+C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
