"""Run a background worker: `manage.py run_worker [--queue NAME ...]`.

On the database backend this is django-tasks-db's worker with a heartbeat: a worker killed
mid-task is noticed by the others (or by itself when restarted) and its task is run again.
On RQ (REDIS_URL set) it is an RQ worker with the scheduler, which runs delayed retries, and
it hands jobs abandoned by a dead worker back to their queue.
"""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from cityhall.core.background import HeartbeatThread, new_worker_id, recover_abandoned_tasks

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run a background task worker (database backend or RQ, by configuration)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="append", dest="queues",
                            help="Queue to serve (repeatable). Default: every queue.")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds to wait when the queue is empty (database backend).")
        parser.add_argument("--batch", action="store_true",
                            help="Exit when the queue is empty.")
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(self, *args, **options):
        queues = options["queues"] or settings.TASK_QUEUES
        if settings.TASK_BACKEND == "rq":
            return self.run_rq(queues, batch=options["batch"])
        if settings.TASK_BACKEND != "database":
            self.stderr.write(f"TASK_BACKEND={settings.TASK_BACKEND} needs no worker.")
            return None
        return self.run_database(queues, options)

    def run_database(self, queues, options):
        from django_tasks_db.management.commands.db_worker import Worker

        worker_id = new_worker_id()
        heartbeat = HeartbeatThread(worker_id, settings.TASK_WORKER_HEARTBEAT_SECONDS)
        heartbeat.beat()
        recovered = recover_abandoned_tasks()
        if recovered:
            self.stdout.write(f"Handed {recovered} abandoned task(s) back to the queue.")
        heartbeat.start()
        self.stdout.write(f"Worker {worker_id} serving {', '.join(queues)}")
        worker = Worker(queue_names=list(queues), interval=options["interval"],
                        batch=options["batch"], backend_name="default", startup_delay=True,
                        max_tasks=options["max_tasks"], worker_id=worker_id,
                        excluded_queue_names=[])
        worker.configure_signals()
        try:
            worker.run()
        finally:
            heartbeat.stop()

    def run_rq(self, queues, *, batch):
        import django_rq

        from cityhall.core.background import requeue_abandoned_rq_jobs

        requeued = requeue_abandoned_rq_jobs(queues)
        if requeued:
            self.stdout.write(f"Handed {requeued} abandoned job(s) back to their queue.")
        heartbeat = HeartbeatThread(new_worker_id(), settings.TASK_WORKER_HEARTBEAT_SECONDS)
        heartbeat.start()
        try:
            django_rq.get_worker(*queues, job_class="django_tasks_rq.Job").work(
                with_scheduler=True, burst=batch)
        finally:
            heartbeat.stop()
