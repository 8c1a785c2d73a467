"""The append-only, hash-chained audit log (取組35–39: 情報セキュリティ対策).

`audit_record` is the only writer. Each event's hash covers its own fields and the previous
event's hash, and writers take a row lock on the single `AuditChainHead`, so the chain stays
linear across processes and machines. `audit_verify` recomputes the chain and names the first
event that no longer matches: an edited, inserted or deleted row.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .middleware import current_request_meta
from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "purpose": event.purpose,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
        "details": event.details,
        "previous_hash": event.previous_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def audit_record(*, actor, action: str, target=None, target_type: str = "", target_id="",
                 purpose: str = "", details: dict | None = None) -> AuditEvent:
    """Append one event. Call it inside the service's transaction so that the event and the
    change it describes are committed together or not at all."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    meta = current_request_meta()
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            sequence=head.sequence + 1,
            occurred_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=getattr(actor, "email", "") or ("system" if actor is None else ""),
            action=action,
            target_type=target_type,
            target_id=str(target_id or ""),
            purpose=purpose,
            request_id=meta.get("request_id", ""),
            ip_address=meta.get("ip_address"),
            details=details or {},
            previous_hash=head.last_hash,
        )
        # Round-trip through JSON so that the hash covers exactly what the database stores.
        event.details = json.loads(json.dumps(event.details, ensure_ascii=False, default=str))
        event.entry_hash = compute_hash(event)
        event.save(force_insert=True)
        head.sequence = event.sequence
        head.last_hash = event.entry_hash
        head.save(update_fields=["sequence", "last_hash"])
    return event


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in sequence order and report the first event that does not match."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    events = AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size)
    for event in events:
        if event.sequence != expected_sequence:
            return ChainReport(checked, expected_sequence,
                               f"event #{expected_sequence} is missing")
        if event.previous_hash != previous_hash:
            return ChainReport(checked, event.sequence,
                               "its link to the previous event does not match")
        if compute_hash(event) != event.entry_hash:
            return ChainReport(checked, event.sequence, "its content was changed")
        previous_hash = event.entry_hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.sequence != checked:
        return ChainReport(checked, checked + 1,
                           f"the log ends at #{checked} but {head.sequence} events were written")
    return ChainReport(checked)
