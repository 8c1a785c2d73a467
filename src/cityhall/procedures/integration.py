"""Hand-off of online applications to the departments' business systems (取組1:
電子申請データを業務システムに連携).

Three ways out, all limited to the procedures of one department and all audited:
- exports for staff: CSV (UTF-8 with BOM, or Shift_JIS/cp932 for Excel) and JSON;
- an API for a business system holding a bearer token: pull new applications, push status;
- webhooks on every status change: JSON, signed with HMAC-SHA256 over
  "<timestamp>.<body>" (header X-Cityhall-Signature: t=<timestamp>,v1=<hex>), each with a
  delivery id (X-Cityhall-Delivery) so that a receiver can drop repeats; stored before they
  are sent and retried with back-off by a background task.
"""

import csv
import hashlib
import hmac
import io
import json
import secrets

from django.db import transaction
from django.utils import timezone, translation

from cityhall.core.audit import audit_record
from cityhall.core.background import enqueue_on_commit

from .forms_schema import field_order, label_of
from .models import Application, IntegrationClient, WebhookDelivery


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def integration_client_create(*, name: str, department, acting_user, webhook_url: str = "",
                              actor) -> tuple[IntegrationClient, str]:
    """Register a business system; returns the client and its token, shown only this once."""
    token = f"chk_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        client = IntegrationClient.objects.create(
            name=name, department=department, acting_user=acting_user,
            token_hash=_hash(token), webhook_url=webhook_url,
            webhook_secret=secrets.token_hex(32))
        audit_record(actor=actor, action="integration_client.create", target=client,
                     details={"department": department.code})
    return client, token


def client_for_token(token: str) -> IntegrationClient | None:
    if not token or len(token) > 200:
        return None
    return IntegrationClient.objects.filter(token_hash=_hash(token), is_active=True) \
        .select_related("department", "acting_user").first()


def applications_for_client(client: IntegrationClient):
    return Application.objects.exclude(status=Application.Status.DRAFT).filter(
        procedure__department=client.department).select_related("procedure", "form")


def application_payload(application: Application) -> dict:
    return {
        "reference": application.reference,
        "procedure": application.procedure.code,
        "form_version": application.form.version,
        "status": application.status,
        "submitted_at": application.submitted_at.isoformat() if application.submitted_at
        else None,
        "updated_at": application.updated_at.isoformat(),
        "answers": {**application.data, **application.prefilled},
        "fee_yen": application.fee_yen,
        "payment_status": application.payment_status,
        "attachments": [{
            "id": str(attachment.id), "field": attachment.field,
            "name": attachment.original_name, "content_type": attachment.content_type,
            "size": attachment.size, "sha256": attachment.sha256,
            "url": f"/api/v1/procedures/integration/applications/{application.reference}"
                   f"/attachments/{attachment.id}",
        } for attachment in application.attachments.all()],
    }


# --- exports ---------------------------------------------------------------------------------

ENCODINGS = {"utf-8": "utf-8-sig", "shift_jis": "cp932"}


def export_csv(*, applications, procedure, encoding: str, actor) -> bytes:
    """The applications as CSV with Japanese headers. Shift_JIS replaces the few characters
    it cannot hold (e.g. some rare kanji variants) with "?"; UTF-8 keeps everything."""
    form = procedure.forms.filter(is_active=True).first() or procedure.forms.first()
    names = field_order(form) if form else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # Fixed Japanese column names, whatever the staff member's language: the file is read by
    # the department's business system and its import settings, which expect one layout.
    with translation.override("ja"):
        header = ["受付番号", "状態", "受付日時", *[label_of(form, name) for name in names]]
    writer.writerow(header)
    count = 0
    for application in applications:
        answers = {**application.data, **application.prefilled}
        with translation.override("ja"):
            status = str(application.get_status_display())
        writer.writerow([application.reference, status,
                         timezone.localtime(application.submitted_at).strftime("%Y-%m-%d %H:%M")
                         if application.submitted_at else "",
                         *["" if answers.get(name) is None else answers.get(name)
                           for name in names]])
        count += 1
    _audit_export(actor, procedure, "csv", count)
    return buffer.getvalue().encode(ENCODINGS[encoding], errors="replace")


def export_json(*, applications, procedure, actor) -> bytes:
    items = [application_payload(application) for application in applications]
    _audit_export(actor, procedure, "json", len(items))
    return json.dumps({"procedure": procedure.code, "applications": items},
                      ensure_ascii=False, indent=2).encode()


def _audit_export(actor, procedure, kind, count):
    with transaction.atomic():
        audit_record(actor=actor, action="application.export", target=procedure,
                     details={"format": kind, "count": count})


# --- webhooks --------------------------------------------------------------------------------

def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def on_status_change(*, application: Application, status_from: str) -> None:
    """A status listener: store one delivery per interested client, then send in the
    background."""
    clients = IntegrationClient.objects.filter(
        is_active=True, department_id=application.procedure.department_id).exclude(
        webhook_url="")
    from .tasks import deliver_webhook

    for client in clients:
        payload = {"event": "application.status_changed", "status_from": status_from,
                   "application": application_payload(application)}
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(client=client, application=application,
                                                      payload=payload)
            enqueue_on_commit(deliver_webhook, str(delivery.id))
