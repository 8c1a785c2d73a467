"""Hand-off to business systems: exports, the token API, and signed, retried webhooks
received by a real HTTP server on this machine."""

import csv
import hashlib
import hmac
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.urls import reverse

from cityhall.core.models import AuditEvent, Department
from cityhall.procedures import services
from cityhall.procedures.integration import integration_client_create
from cityhall.procedures.models import WebhookDelivery
from cityhall.procedures.tasks import WebhookRefused, deliver_webhook
from cityhall.procedures.tests.test_review import send

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers with the statuses it is given."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.received = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for item in made:
        item.close()


def client_for(reviewer, url=""):
    return integration_client_create(name="犬の登録システム",
                                     department=Department.objects.get(code="seikatsu-eisei"),
                                     acting_user=reviewer, webhook_url=url, actor=None)


# --- exports ---------------------------------------------------------------------------------

def test_csv_export_in_utf8_and_shift_jis(client, minato, hanako, reviewer):
    application = send(hanako)
    client.force_login(reviewer)
    url = reverse("procedures:review_export", args=["dog-registration"])
    utf8 = client.get(url, {"format": "csv", "encoding": "utf-8"})
    assert utf8.status_code == 200
    assert utf8.content.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(utf8.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["受付番号", "状態", "受付日時"] and "犬の名前" in rows[0]
    assert rows[1][0] == application.reference and "ポチ" in rows[1] and "港 花子" in rows[1]
    sjis = client.get(url, {"format": "csv", "encoding": "shift_jis"})
    assert "shift_jis" in sjis["Content-Type"]
    assert list(csv.reader(io.StringIO(sjis.content.decode("cp932")))) == rows
    # The layout stays Japanese for a staff member who uses the pages in English.
    english = client.get(url, {"format": "csv", "encoding": "utf-8"}, HTTP_ACCEPT_LANGUAGE="en")
    assert list(csv.reader(io.StringIO(english.content.decode("utf-8-sig")))) == rows
    assert rows[1][1] == "受付済み"
    assert AuditEvent.objects.filter(action="application.export").count() == 3


def test_json_export(client, minato, hanako, reviewer):
    application = send(hanako)
    client.force_login(reviewer)
    response = client.get(reverse("procedures:review_export", args=["dog-registration"]),
                          {"format": "json"})
    data = json.loads(response.content)
    assert data["applications"][0]["reference"] == application.reference
    assert data["applications"][0]["answers"]["owner_name"] == "港 花子"


def test_exports_are_refused_outside_the_department_and_for_bad_formats(
        client, minato, hanako, reviewer, staff_persona):
    send(hanako)
    url = reverse("procedures:review_export", args=["dog-registration"])
    client.force_login(staff_persona("shiba_clerk"))
    assert client.get(url).status_code == 403
    client.force_login(reviewer)
    assert client.get(url, {"format": "xml"}).status_code == 400
    assert client.get(url, {"format": "csv", "encoding": "latin-1"}).status_code == 400
    assert client.get(reverse("procedures:review_export",
                              args=["nhi-enrolment"])).status_code == 403
    assert not AuditEvent.objects.filter(action="application.export").exists()


# --- the token API ---------------------------------------------------------------------------

def test_business_system_pulls_and_pushes_status(client, minato, hanako, reviewer):
    application = send(hanako)
    _client, token = client_for(reviewer)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    pulled = client.get("/api/v1/procedures/integration/applications", **auth)
    assert pulled.status_code == 200
    items = pulled.json()["applications"]
    assert [item["reference"] for item in items] == [application.reference]
    assert items[0]["answers"]["dog_name"] == "ポチ"
    pushed = client.post(f"/api/v1/procedures/integration/applications/"
                         f"{application.reference}/status", {"status": "in_review"},
                         content_type="application/json", **auth)
    assert pushed.status_code == 200 and pushed.json()["status"] == "in_review"
    application.refresh_from_db()
    assert application.status == "in_review"
    assert application.events.last().actor == reviewer


def test_the_api_refuses_bad_tokens_other_departments_and_bad_moves(client, minato, hanako,
                                                                      reviewer):
    application = send(hanako)
    assert client.get("/api/v1/procedures/integration/applications").status_code == 401
    assert client.get("/api/v1/procedures/integration/applications",
                      HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    other, token = integration_client_create(
        name="国保システム", department=Department.objects.get(code="kokuho-nenkin"),
        acting_user=reviewer, actor=None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/procedures/integration/applications",
                      **auth).json()["applications"] == []
    assert client.post(f"/api/v1/procedures/integration/applications/"
                       f"{application.reference}/status", {"status": "approved"},
                       content_type="application/json", **auth).status_code == 404
    _own, own_token = client_for(reviewer)
    bad = client.post(f"/api/v1/procedures/integration/applications/"
                      f"{application.reference}/status", {"status": "completed"},
                      content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {own_token}")
    assert bad.status_code == 409
    other.is_active = False
    other.save()
    assert client.get("/api/v1/procedures/integration/applications",
                      **auth).status_code == 401
    application.refresh_from_db()
    assert application.status == "submitted"


# --- webhooks --------------------------------------------------------------------------------

def test_every_status_change_is_stored_then_sent_signed(minato, hanako, reviewer, receiver,
                                                       django_capture_on_commit_callbacks,
                                                       settings):
    # Tasks run at once here, as a worker would run them right after the commit.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    hooks = receiver()
    integration, _token = client_for(reviewer, hooks.url)
    with django_capture_on_commit_callbacks(execute=True):
        application = send(hanako)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered" and delivery.attempts == 1
    headers, body = hooks.received[0]
    assert headers["X-Cityhall-Delivery"] == str(delivery.id)
    timestamp, signature = (part.split("=", 1)[1]
                            for part in headers["X-Cityhall-Signature"].split(","))
    expected = hmac.new(integration.webhook_secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    payload = json.loads(body)
    assert payload["event"] == "application.status_changed"
    assert payload["status_from"] == "draft"
    assert payload["application"]["reference"] == application.reference


def test_a_refused_webhook_is_retried_and_never_sent_twice(minato, hanako, reviewer,
                                                          receiver,
                                                          django_capture_on_commit_callbacks):
    hooks = receiver(503)
    client_for(reviewer, hooks.url)
    with django_capture_on_commit_callbacks(execute=True):
        application = send(hanako)
    delivery = WebhookDelivery.objects.get(application=application)
    assert delivery.state == "pending"
    with pytest.raises(WebhookRefused):
        deliver_webhook.call(str(delivery.id), _attempt=6)  # the last attempt fails for good
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.last_error == "HTTP 503"
    assert deliver_webhook.call(str(delivery.id)) == "delivered"
    assert deliver_webhook.call(str(delivery.id)) == "already delivered"
    assert len(hooks.received) == 2
    ids = {headers["X-Cityhall-Delivery"] for headers, _ in hooks.received}
    assert ids == {str(delivery.id)}  # a retry carries the same id: receivers drop repeats


def test_an_unreachable_receiver_is_retried_later(minato, hanako, reviewer,
                                                  django_capture_on_commit_callbacks):
    client_for(reviewer, "http://127.0.0.1:9/nobody-listens")
    with django_capture_on_commit_callbacks(execute=True):
        send(hanako)
    delivery = WebhookDelivery.objects.get()
    result = deliver_webhook.call(str(delivery.id))
    # The attempt failed and the durable task queued the next one, later.
    assert result == {"retried": True, "attempt": 1}
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == 1
    assert "ConnectionRefused" in delivery.last_error or "URLError" in delivery.last_error
    from django_tasks_db.models import DBTaskResult

    queued = list(DBTaskResult.objects.filter(task_path__endswith="deliver_webhook"))
    # The delivery queued after the commit, and the retry queued by the failed attempt.
    assert sorted(row.args_kwargs["kwargs"].get("_attempt", 1) for row in queued) == [1, 2]
    retry = next(row for row in queued if row.args_kwargs["kwargs"].get("_attempt") == 2)
    assert retry.args_kwargs["args"] == [str(delivery.id)]
    assert retry.run_after is not None


def test_no_webhook_without_a_url_or_for_other_departments(minato, hanako, reviewer):
    client_for(reviewer, "")
    integration_client_create(name="国保", acting_user=reviewer, webhook_url="http://x.invalid",
                              department=Department.objects.get(code="kokuho-nenkin"),
                              actor=None)
    send(hanako)
    services.application_transition(application=hanako.user.applications.get(),
                                    status_to="in_review", actor=reviewer)
    assert not WebhookDelivery.objects.exists()
