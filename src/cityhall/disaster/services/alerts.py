"""Emergency alert services (取組12 防災情報の発信強化; 取組17, 20, 21 through the
notifications engine): compose from a template or as free text, submit, approve and publish
(by a second staff member), update, cancel, expire.

Each function is one transaction and writes its audit event in it. Publishing checks every
required field and the CAP document against the official XSD first: an alert whose CAP would
be invalid is not published. Sending to subscribers happens after the commit, through a
durable task, and only when the notifications engine is installed.
"""

import datetime
import uuid

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)
from cityhall.core.models import BranchOffice
from cityhall.core.permissions import can

from .. import alerts_cap, alerts_geo, alerts_texts
from ..models import Alert

__all__ = [
    "ALERT_AREA_ERRORS",
    "active_alerts",
    "alert_approve",
    "alert_cancel_create",
    "alert_create",
    "alert_discard",
    "alert_problems",
    "alert_reject",
    "alert_submit",
    "alerts_expire",
    "cap_sender",
]

ALERT_AREA_ERRORS = {
    "format": _('Write the area as CAP does: "lat,lon" pairs separated by spaces (polygon) '
                'or "lat,lon radius_km" (circle).'),
    "too_few_points": _("A polygon needs at least four points, the first repeated at the "
                        "end."),
    "not_closed": _("A polygon must be closed: repeat the first point at the end."),
    "self_intersecting": _("The polygon crosses itself. Draw its points in order around the "
                           "area."),
    "outside_japan": _("These coordinates are outside Japan. Check that latitude comes first "
                       "(about 35.6 for Minato) and longitude second (about 139.7)."),
    "radius": _("The radius must be more than 0 and at most 100 km."),
}


def cap_sender() -> str:
    """CAP <sender>: settings.CAP_SENDER, by default one derived from the municipality code
    (no spaces, commas, < or &, as CAP requires)."""
    from cityhall.core.selectors import current_municipality

    configured = getattr(settings, "CAP_SENDER", "")
    if configured:
        return configured
    municipality = current_municipality()
    return f"cityhall-{municipality.code if municipality else 'jp'}@lg.jp"


def _new_identifier(now) -> str:
    from cityhall.core.selectors import current_municipality

    municipality = current_municipality()
    code = municipality.code if municipality else "000000"
    stamp = timezone.localtime(now).strftime("%Y%m%dT%H%M%S")
    return f"JP-{code}-{stamp}-{uuid.uuid4().hex[:8]}"


def _require(actor, permission: str) -> None:
    if not can(actor, permission):
        raise PermissionDeniedError()


def _check_areas(polygon: str, circle: str) -> tuple[str, str]:
    try:
        polygon = alerts_geo.normalise_polygon(polygon) if (polygon or "").strip() else ""
    except alerts_geo.AreaError as exc:
        raise ValidationFailed(ALERT_AREA_ERRORS[exc.code], code=f"polygon_{exc.code}",
                               field="polygon") from None
    try:
        circle = alerts_geo.normalise_circle(circle) if (circle or "").strip() else ""
    except alerts_geo.AreaError as exc:
        raise ValidationFailed(ALERT_AREA_ERRORS[exc.code], code=f"circle_{exc.code}",
                               field="circle") from None
    return polygon, circle


def _check_times(*, effective, onset, expires) -> None:
    start = onset or effective
    if effective and onset and onset < effective:
        raise ValidationFailed(_("The onset cannot be before the alert takes effect."),
                               code="onset_before_effective", field="onset")
    if expires and start and expires <= start:
        raise ValidationFailed(_("The alert must expire after its onset."),
                               code="expires_before_onset", field="expires")


def _offices(codes) -> list[BranchOffice]:
    codes = sorted(set(codes or []))
    offices = list(BranchOffice.objects.filter(code__in=codes))
    if len(offices) != len(codes):
        raise ValidationFailed(_("Choose the affected areas from the list."),
                               code="unknown_area", field="areas")
    return offices


@transaction.atomic
def alert_create(*, actor, template_key: str = "", parameters: dict | None = None,
                 free_text: dict | None = None, cap: dict | None = None,
                 area_codes: list[str] | None = None, polygon: str = "", circle: str = "",
                 status: str = Alert.Status.ACTUAL, effective=None, onset=None, expires=None,
                 original: Alert | None = None, now=None) -> Alert:
    """Compose a draft, from a template with its parameters or as Japanese free text (with
    the CAP fields in `cap`). With `original`, the draft is an Update of that alert."""
    _require(actor, "disaster.compose_alert")
    now = now or timezone.now()
    if status not in Alert.Status.values:
        raise ValidationFailed(code="bad_status", field="status")
    offices = _offices(area_codes)
    polygon, circle = _check_areas(polygon, circle)
    _check_times(effective=effective, onset=onset, expires=expires)
    if original is not None and original.state != Alert.State.PUBLISHED:
        raise ConflictError(_("Only a published alert can be updated or cancelled."),
                            code="not_published")
    codes = [office.code for office in offices]

    if free_text is not None:
        headline = (free_text.get("headline") or "").strip()
        description = (free_text.get("description") or "").strip()
        instruction = (free_text.get("instruction") or "").strip()
        if not headline or not description:
            raise ValidationFailed(_("Free text needs a headline and a description."),
                                   code="free_text_missing", field="headline")
        cap = dict(cap or {})
        texts = alerts_texts.free_text_texts(headline=headline, description=description,
                                             instruction=instruction)
        template_key, parameters = "", {}
    else:
        template = alerts_texts.get_template(template_key)
        if template is None:
            raise NotFoundError()
        try:
            parameters = alerts_texts.parse_params(template, parameters or {})
        except alerts_texts.TemplateError as exc:
            raise ValidationFailed(_("Fill in every item of the template with one of the "
                                     "offered values."), code="bad_parameter",
                                   field=exc.name) from None
        cap = alerts_texts.cap_mapping(template, parameters)
        texts = alerts_texts.render(template, parameters, codes)
        if expires is None:
            expires = (onset or effective or now) + datetime.timedelta(
                hours=template.expires_hours)
    _check_cap_values(cap)

    alert = Alert.objects.create(
        identifier=_new_identifier(now), sender=cap_sender(), status=status,
        msg_type=Alert.MsgType.UPDATE if original else Alert.MsgType.ALERT,
        original=original, template_key=template_key, parameters=parameters,
        is_free_text=free_text is not None, texts=texts,
        categories=list(cap.get("categories") or []),
        response_types=list(cap.get("response_types") or []),
        urgency=cap.get("urgency", ""), severity=cap.get("severity", ""),
        certainty=cap.get("certainty", ""), effective=effective, onset=onset,
        expires=expires, polygon=polygon, circle=circle, created_by=actor)
    alert.branch_offices.set(offices)
    audit_record(actor=actor, action="alert.create", target=alert,
                 details={"template": template_key, "msg_type": alert.msg_type,
                          "original": original.identifier if original else ""})
    return alert


def _check_cap_values(cap: dict) -> None:
    categories = cap.get("categories") or []
    if not categories or any(c not in Alert.CATEGORIES for c in categories):
        raise ValidationFailed(_("Choose a category."), code="bad_category", field="category")
    if any(r not in Alert.RESPONSE_TYPES for r in cap.get("response_types") or []):
        raise ValidationFailed(code="bad_response_type", field="response_type")
    for name, choices in (("urgency", Alert.Urgency), ("severity", Alert.Severity),
                          ("certainty", Alert.Certainty)):
        if cap.get(name) not in choices.values:
            raise ValidationFailed(_("Choose the urgency, severity and certainty."),
                                   code=f"bad_{name}", field=name)


@transaction.atomic
def alert_cancel_create(*, original: Alert, actor, now=None) -> Alert:
    """A draft Cancel of a published alert; its texts say, in every language, what was
    cancelled. It is approved and published like any alert."""
    _require(actor, "disaster.compose_alert")
    now = now or timezone.now()
    original = Alert.objects.select_for_update().get(pk=original.pk)
    if original.state != Alert.State.PUBLISHED or original.msg_type == Alert.MsgType.CANCEL:
        raise ConflictError(_("Only a published alert can be updated or cancelled."),
                            code="not_published")
    alert = Alert.objects.create(
        identifier=_new_identifier(now), sender=cap_sender(), status=original.status,
        msg_type=Alert.MsgType.CANCEL, original=original,
        template_key=original.template_key, parameters=original.parameters,
        is_free_text=original.is_free_text, texts=alerts_texts.cancel_texts(original.texts),
        categories=original.categories, response_types=["AllClear"],
        urgency=Alert.Urgency.PAST, severity=original.severity,
        certainty=original.certainty, expires=original.expires, polygon=original.polygon,
        circle=original.circle, created_by=actor)
    alert.branch_offices.set(original.branch_offices.all())
    audit_record(actor=actor, action="alert.create", target=alert,
                 details={"msg_type": alert.msg_type, "original": original.identifier})
    return alert


def alert_problems(alert: Alert, *, now=None) -> list[str]:
    """Why `alert` cannot be published now (translated; empty when it can)."""
    now = now or timezone.now()
    problems = []
    if not alert.text("ja", "headline") or not alert.text("ja", "event"):
        problems.append(_("The Japanese headline is missing."))
    if not alert.is_free_text and not all(
            alert.text(language, "headline") for language in alerts_texts.LANGUAGES):
        problems.append(_("A translation is missing."))
    if not alert.categories or not alert.urgency or not alert.severity or \
            not alert.certainty:
        problems.append(_("Choose the urgency, severity and certainty."))
    if not alert.branch_offices.exists():
        problems.append(_("Choose at least one affected area."))
    if alert.expires is None:
        problems.append(_("Say when the alert expires."))
    else:
        start = alert.onset or alert.effective or now
        if alert.expires <= max(start, now):
            problems.append(_("The alert must expire after its onset, in the future."))
    for value in (alert.effective, alert.onset):
        if value is not None and value < now.replace(microsecond=0):
            problems.append(_("The effective time and the onset cannot be before the alert "
                              "is sent; leave them empty to mean “when sent”."))
            break
    if any(ch in alert.identifier + alert.sender
           for ch in alerts_cap.FORBIDDEN_ID_CHARACTERS):
        problems.append(_("The identifier or the sender contains a space, a comma, < or &."))
    try:
        _check_areas(alert.polygon, alert.circle)
    except ValidationFailed as exc:
        problems.append(exc.message)
    if alert.original_id is not None:
        original = alert.original
        if original.state != Alert.State.PUBLISHED:
            problems.append(_("The alert this one updates or cancels is no longer "
                              "published."))
        elif original.sent and original.sent > now:
            problems.append(_("The alert this one refers to was sent later than now."))
    if not problems:
        errors = alerts_cap.validation_errors(alerts_cap.build(alert, sent=now))
        if errors:
            problems.append(_("The CAP document would not be valid: %(errors)s")
                            % {"errors": "; ".join(errors[:3])})
    return problems


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


@transaction.atomic
def alert_submit(*, alert: Alert, actor, now=None) -> Alert:
    """Ask a second staff member to approve the draft."""
    _require(actor, "disaster.compose_alert")
    now = now or timezone.now()
    alert = _locked(alert)
    if alert.state != Alert.State.DRAFT:
        raise ConflictError(_("Only a draft can be submitted for approval."),
                            code="not_draft")
    problems = alert_problems(alert, now=now)
    if problems:
        raise ValidationFailed(" ".join(str(p) for p in problems), code="incomplete")
    alert.state = Alert.State.AWAITING_APPROVAL
    alert.submitted_at = now
    alert.save(update_fields=["state", "submitted_at"])
    audit_record(actor=actor, action="alert.submit", target=alert)
    return alert


@transaction.atomic
def alert_approve(*, alert: Alert, actor, now=None) -> Alert:
    """Approve and publish: a staff member with `disaster.approve_alert` who did not compose
    it. The alert gets its `sent` time now; an update replaces, a cancel cancels, its
    original; subscribers are told after the commit."""
    _require(actor, "disaster.approve_alert")
    now = (now or timezone.now()).replace(microsecond=0)
    alert = _locked(alert)
    if alert.created_by_id == actor.pk:
        raise PermissionDeniedError(_("You cannot approve an alert you composed: another "
                                      "staff member must approve it."),
                                    code="self_approval")
    if alert.state != Alert.State.AWAITING_APPROVAL:
        raise ConflictError(_("This alert is not awaiting approval."),
                            code="not_awaiting_approval")
    problems = alert_problems(alert, now=now)
    if problems:
        raise ValidationFailed(" ".join(str(p) for p in problems), code="incomplete")
    alert.state = Alert.State.PUBLISHED
    alert.sent = now
    alert.approved_by = actor
    alert.save(update_fields=["state", "sent", "approved_by"])
    if alert.original_id is not None:
        original = _locked(alert.original)
        original.state = (Alert.State.CANCELLED if alert.msg_type == Alert.MsgType.CANCEL
                          else Alert.State.SUPERSEDED)
        original.closed_at = now
        original.save(update_fields=["state", "closed_at"])
        audit_record(actor=actor, action=f"alert.{original.state}", target=original,
                     details={"by": alert.identifier})
    audit_record(actor=actor, action="alert.publish", target=alert,
                 details={"msg_type": alert.msg_type, "urgent": alert.is_urgent})
    if apps.is_installed("cityhall.notifications"):
        from ..alerts_tasks import send_alert

        transaction.on_commit(lambda: send_alert.enqueue(alert.pk))
    return alert


@transaction.atomic
def alert_reject(*, alert: Alert, actor, reason: str = "") -> Alert:
    """Send an alert awaiting approval back to draft (with the reason in the audit trail)."""
    _require(actor, "disaster.approve_alert")
    alert = _locked(alert)
    if alert.state != Alert.State.AWAITING_APPROVAL:
        raise ConflictError(_("This alert is not awaiting approval."),
                            code="not_awaiting_approval")
    alert.state = Alert.State.DRAFT
    alert.submitted_at = None
    alert.save(update_fields=["state", "submitted_at"])
    audit_record(actor=actor, action="alert.reject", target=alert,
                 details={"reason": reason[:500]})
    return alert


@transaction.atomic
def alert_discard(*, alert: Alert, actor) -> Alert:
    _require(actor, "disaster.compose_alert")
    alert = _locked(alert)
    if alert.state not in (Alert.State.DRAFT, Alert.State.AWAITING_APPROVAL):
        raise ConflictError(_("A published alert cannot be discarded; cancel it instead."),
                            code="not_draft")
    alert.state = Alert.State.DISCARDED
    alert.save(update_fields=["state"])
    audit_record(actor=actor, action="alert.discard", target=alert)
    return alert


def active_alerts(now=None):
    """Published alerts that have not expired, newest first. Expiry is read from `expires`,
    so an alert leaves the banner at its expiry even before the periodic task marks it."""
    now = now or timezone.now()
    return (Alert.objects.filter(state=Alert.State.PUBLISHED, expires__gt=now)
            .exclude(msg_type=Alert.MsgType.CANCEL)
            .prefetch_related("branch_offices").order_by("-sent"))


@transaction.atomic
def alerts_expire(*, now=None) -> int:
    """Mark published alerts past their expiry as expired (run every minute)."""
    now = now or timezone.now()
    expired = 0
    for alert in Alert.objects.select_for_update().filter(
            state=Alert.State.PUBLISHED, expires__lte=now):
        alert.state = Alert.State.EXPIRED
        alert.closed_at = now
        alert.save(update_fields=["state", "closed_at"])
        audit_record(actor=None, action="alert.expire", target=alert)
        expired += 1
    return expired
