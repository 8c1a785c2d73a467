"""Open311 API keys of street-problem reports (取組13): issued and revoked by staff.

Only a SHA-256 hash of a key is stored; the raw key is returned once, when it is issued, for
staff to hand to the client's operator. `key_prefix` (the first 8 characters) lets staff and
logs name a key without holding it."""

import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can

from ..models import Open311Client

KEY_PREFIX_LENGTH = 8


def open311_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def open311_client_issue(*, name: str, contact_email: str, actor) -> tuple[Open311Client, str]:
    """Issue a new API key to a named client; returns the client and the raw key (shown once)."""
    if not can(actor, "reports.manage_open311_clients"):
        raise PermissionDeniedError()
    name = (name or "").replace("\x00", "").strip()
    contact_email = (contact_email or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(_("Give the client's name (at most 100 characters)."),
                               code="bad_name", field="name")
    if contact_email:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(contact_email)
        except ValidationError:
            raise ValidationFailed(_("Enter a valid email address."), code="bad_email",
                                   field="contact_email") from None
    raw_key = secrets.token_urlsafe(32)
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name, contact_email=contact_email, key_prefix=raw_key[:KEY_PREFIX_LENGTH],
            key_hash=open311_key_hash(raw_key), created_by=actor)
        audit_record(actor=actor, action="reports.open311_client.issue", target=client,
                     details={"name": name, "key_prefix": client.key_prefix})
    return client, raw_key


def open311_client_revoke(*, client: Open311Client, actor) -> Open311Client:
    """Stop a client's key from working (the client and its reports stay)."""
    if not can(actor, "reports.manage_open311_clients"):
        raise PermissionDeniedError()
    with transaction.atomic():
        locked = Open311Client.objects.select_for_update().get(pk=client.pk)
        if not locked.is_active:
            raise ConflictError(_("This key has already been revoked."), code="revoked")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit_record(actor=actor, action="reports.open311_client.revoke", target=locked,
                     details={"name": locked.name, "key_prefix": locked.key_prefix})
    client.refresh_from_db()
    return client
