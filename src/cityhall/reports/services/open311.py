"""Open311 API keys for street-problem reports (取組13): issued and revoked by staff, checked
on every POST of a report by an outside system (FixMyStreet, a ward's own app, a contractor).

The raw key is shown once, when it is issued; only its SHA-256 hash is stored, with its first
eight characters (`key_prefix`) so that staff can tell keys apart in a list. A key is checked
by looking its hash up through the unique index: the database compares hashes, never the key,
so the time taken says nothing about how much of a guessed key was right.
"""

import datetime
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import ConflictError, ValidationFailed

from ..models import Open311Client

# A client's last use is written at most this often (a busy client would otherwise update
# its row on every request).
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
KEY_PREFIX_LENGTH = 8
# Longer values are not keys we issued (they are 43 characters); refuse them unhashed.
MAX_KEY_LENGTH = 200


def key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()


def open311_client_issue(*, name: str, contact_email: str = "", actor
                         ) -> tuple[Open311Client, str]:
    """Issue an API key to an outside system. Returns the client and the raw key, which is
    shown this once and never stored."""
    name = (name or "").strip()
    contact_email = (contact_email or "").strip()
    if not name:
        raise ValidationFailed(_("Give the name of the system the key is for."),
                               code="no_name", field="name")
    if len(name) > 100:
        raise ValidationFailed(_("The name is too long."), code="bad_name", field="name")
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
            key_hash=key_hash(raw_key),
            created_by=actor if getattr(actor, "pk", None) else None)
        audit_record(actor=actor, action="reports.open311_client.issue", target=client,
                     details={"name": name, "key_prefix": client.key_prefix})
    return client, raw_key


def open311_client_revoke(*, client: Open311Client, actor) -> Open311Client:
    """Stop a key from working. Reports it filed stay as they are."""
    with transaction.atomic():
        locked = Open311Client.objects.select_for_update().get(pk=client.pk)
        if not locked.is_active:
            raise ConflictError(_("This key has already been revoked."), code="revoked")
        Open311Client.objects.filter(pk=locked.pk).update(is_active=False)
        audit_record(actor=actor, action="reports.open311_client.revoke", target=locked,
                     details={"name": locked.name, "key_prefix": locked.key_prefix})
    client.refresh_from_db()
    return client


def open311_client_authenticate(raw_key: str | None) -> Open311Client | None:
    """The active client holding this key, or None."""
    if not raw_key or len(raw_key) > MAX_KEY_LENGTH:
        return None
    digest = key_hash(raw_key)
    client = Open311Client.objects.filter(key_hash=digest, is_active=True).first()
    if client is None or not hmac.compare_digest(client.key_hash, digest):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_RESOLUTION:
        # One conditional UPDATE: of several requests in the same minute only one writes.
        Open311Client.objects.filter(pk=client.pk).exclude(
            last_used_at__gt=now - LAST_USED_RESOLUTION).update(last_used_at=now)
        client.last_used_at = now
    return client
