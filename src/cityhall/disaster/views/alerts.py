"""Alert pages (取組12 防災情報の発信強化, 取組17): the public list and page of each alert in
ja/en/zh-hans/ko, its CAP 1.2 document, the Atom feed of CAP documents, and the staff pages
to compose (from a template or as free text), preview in the four languages, submit, approve
and publish, update and cancel. Views parse, check access, call one service and render."""

import datetime
import re

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.core.errors import CityhallError, NotFoundError, PermissionDeniedError
from cityhall.core.permissions import can, staff_permission_required

from .. import alerts_cap, alerts_texts, services
from ..alerts_forms import FreeTextForm, RejectForm, template_form_class, template_params
from ..models import Alert
from ..registrations.alerts import page_language

PUBLIC_STATES = (Alert.State.PUBLISHED, Alert.State.SUPERSEDED, Alert.State.CANCELLED,
                 Alert.State.EXPIRED)
LANGUAGE_NAMES = {"ja": "日本語", "en": "English", "zh-hans": "简体中文", "ko": "한국어"}
CAP_CONTENT_TYPE = "application/cap+xml; charset=utf-8"
# Identifiers this app makes (JP-131032-20310602T143000-1a2b3c4d); anything else in the URL
# is "not found" without touching the database (PostgreSQL refuses NUL characters outright).
IDENTIFIER = re.compile(r"^[A-Za-z0-9._:-]{1,120}$")


def _public_alert(identifier) -> Alert:
    if not IDENTIFIER.match(identifier or ""):
        raise Http404
    alert = Alert.objects.filter(identifier=identifier, state__in=PUBLIC_STATES,
                                 sent__isnull=False).prefetch_related("branch_offices").first()
    if alert is None:
        raise Http404
    return alert


def _language_blocks(alert: Alert, first: str) -> list[dict]:
    """The texts per language, the page's language first, each with its lang tag and
    whether it was translated."""
    order = [first] + [code for code in alerts_texts.LANGUAGES if code != first]
    return [{"code": code, "name": LANGUAGE_NAMES[code], "translated": alert.is_translated(code),
             "event": alert.text(code, "event"), "headline": alert.text(code, "headline"),
             "description": alert.text(code, "description"),
             "instruction": alert.text(code, "instruction")}
            for code in order]


def _area_text(alert: Alert, language: str) -> str:
    return alerts_texts.area_names([office.code for office in alert.branch_offices.all()],
                                   language)


# --- public -----------------------------------------------------------------------------------

@require_GET
def alert_list(request):
    now = timezone.now()
    language = page_language()
    active = list(services.active_alerts(now))
    recent = list(Alert.objects.filter(state__in=PUBLIC_STATES, sent__isnull=False)
                  .exclude(pk__in=[alert.pk for alert in active])
                  .filter(sent__gte=now - datetime.timedelta(days=30))
                  .prefetch_related("branch_offices").order_by("-sent")[:50])

    def rows(alerts):
        return [{"alert": alert,
                 "headline": alert.text(language if alert.is_translated(language) else "ja",
                                        "headline"),
                 "translated": alert.is_translated(language),
                 "areas": _area_text(alert, language)} for alert in alerts]

    return render(request, "disaster/alerts/list.html", {
        "active": rows(active), "recent": rows(recent), "language": language})


@require_GET
def alert_detail(request, identifier):
    alert = _public_alert(identifier)
    language = page_language()
    blocks = _language_blocks(alert, language)
    followers = alert.followers.filter(state__in=PUBLIC_STATES).order_by("-sent")
    return render(request, "disaster/alerts/detail.html", {
        "alert": alert, "current": blocks[0], "others": blocks[1:],
        "areas": _area_text(alert, language), "followers": followers,
        "active": alert.state == Alert.State.PUBLISHED and alert.expires
        and alert.expires > timezone.now()})


@require_GET
def alert_cap(request, identifier):
    alert = _public_alert(identifier)
    document = alerts_cap.build(alert, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(document, content_type=CAP_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{alert.identifier}.xml"'
    return response


@require_GET
def alert_feed(request):
    """Atom index of the CAP documents of the last 30 days (newest first), the form
    aggregators of CAP feeds read: each entry links to one CAP 1.2 document."""
    now = timezone.now()
    alerts = (Alert.objects.filter(state__in=PUBLIC_STATES, sent__isnull=False,
                                   sent__gte=now - datetime.timedelta(days=30))
              .order_by("-sent")[:100])
    base = request.build_absolute_uri("/").rstrip("/")
    from cityhall.core.selectors import current_municipality

    municipality = current_municipality()
    feed = Atom1Feed(
        title=f"{municipality.name if municipality else 'cityhall'} 緊急情報 (CAP 1.2)",
        link=base + reverse("disaster:alert_list"),
        description="CAP 1.2",
        feed_url=base + reverse("disaster:alert_feed"),
        language="ja",
        author_name=municipality.name if municipality else "cityhall",
        feed_guid=f"{base}{reverse('disaster:alert_feed')}")
    for alert in alerts:
        cap_url = base + reverse("disaster:alert_cap", args=[alert.identifier])
        feed.add_item(
            title=alert.text("ja", "headline"), link=cap_url,
            description=alert.text("ja", "description"),
            unique_id=f"{alert.sender},{alert.identifier},{alerts_cap.cap_time(alert.sent)}",
            unique_id_is_permalink=False, pubdate=alert.sent,
            updateddate=alert.closed_at or alert.sent,
            categories=[alert.msg_type, alert.severity])
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


# --- staff ------------------------------------------------------------------------------------

def _staff_alert(identifier) -> Alert:
    if not IDENTIFIER.match(identifier or ""):
        raise NotFoundError()
    alert = Alert.objects.select_related("created_by", "approved_by", "original") \
        .prefetch_related("branch_offices").filter(identifier=identifier).first()
    if alert is None:
        raise NotFoundError()
    return alert


def _may_see_staff_pages(user) -> bool:
    return can(user, "disaster.compose_alert") or can(user, "disaster.approve_alert")


def staff_alerts_required(view):
    """Staff with either alert permission (composers and approvers both need the queue)."""
    import functools

    from django.contrib.auth.views import redirect_to_login

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not _may_see_staff_pages(request.user):
            raise PermissionDeniedError()
        return view(request, *args, **kwargs)
    return guarded


@never_cache
@staff_alerts_required
def alert_staff_list(request):
    now = timezone.now()
    alerts = Alert.objects.select_related("created_by").order_by("-created_at")
    return render(request, "disaster/alerts/staff_list.html", {
        "awaiting": alerts.filter(state=Alert.State.AWAITING_APPROVAL),
        "drafts": alerts.filter(state=Alert.State.DRAFT),
        "active": services.active_alerts(now),
        "closed": alerts.filter(Q(state__in=[Alert.State.SUPERSEDED, Alert.State.CANCELLED,
                                             Alert.State.EXPIRED])
                                | Q(state=Alert.State.PUBLISHED, expires__lte=now))[:30],
        "language": "ja" if page_language() == "ja" else "en",
        "may_compose": can(request.user, "disaster.compose_alert")})


@never_cache
@staff_permission_required("disaster.compose_alert")
def alert_new(request):
    language = "ja" if page_language() == "ja" else "en"
    groups = {}
    for template in alerts_texts.templates().values():
        groups.setdefault(template.group, []).append(
            {"key": template.key, "title": template.title(language)})
    labels = {"evacuation": _("Evacuation information (alert levels)"),
              "shelter": _("Shelters"), "weather": _("Weather"),
              "earthquake": _("Earthquake and tsunami")}
    return render(request, "disaster/alerts/staff_new.html", {
        "groups": [(labels.get(name, name), items) for name, items in groups.items()]})


def _initial_from(alert: Alert | None) -> dict:
    if alert is None:
        return {}
    initial = {"areas": [office.code for office in alert.branch_offices.all()],
               "status": alert.status, "polygon": alert.polygon, "circle": alert.circle}
    initial.update(alert.parameters)
    if alert.is_free_text:
        initial.update({"headline": alert.text("ja", "headline"),
                        "description": alert.text("ja", "description"),
                        "instruction": alert.text("ja", "instruction"),
                        "category": (alert.categories or ["Safety"])[0],
                        "response_types": alert.response_types, "urgency": alert.urgency,
                        "severity": alert.severity, "certainty": alert.certainty})
    return initial


def _compose(request, *, template_key: str, original: Alert | None):
    free = template_key == "free"
    template = None if free else alerts_texts.get_template(template_key)
    if not free and template is None:
        raise NotFoundError()
    form_class = FreeTextForm if free else template_form_class(template)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            common = dict(actor=request.user, area_codes=data["areas"],
                          polygon=data["polygon"], circle=data["circle"],
                          status=data["status"], onset=data["onset"], expires=data["expires"],
                          original=original)
            try:
                if free:
                    alert = services.alert_create(
                        free_text={name: data[name] for name in
                                   ("headline", "description", "instruction")},
                        cap={"categories": [data["category"]],
                             "response_types": data["response_types"],
                             "urgency": data["urgency"], "severity": data["severity"],
                             "certainty": data["certainty"]}, **common)
                else:
                    alert = services.alert_create(
                        template_key=template.key,
                        parameters=template_params(template, data), **common)
            except CityhallError as exc:
                if exc.status != 400:
                    raise
                form.add_error(exc.field if exc.field in form.fields else None,
                               str(exc.message))
            else:
                messages.success(request, _("The draft is saved. Check it in every language, "
                                            "then submit it for approval."))
                return redirect("disaster:alert_staff_detail", alert.identifier)
        status = 400
    else:
        form = form_class(initial=_initial_from(original))
    language = "ja" if page_language() == "ja" else "en"
    return render(request, "disaster/alerts/staff_compose.html", {
        "form": form, "template": template, "free": free, "original": original,
        "title": (_("Free text (not translated)") if free else template.title(language))},
        status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("disaster.compose_alert")
def alert_compose(request, template_key):
    return _compose(request, template_key=template_key, original=None)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("disaster.compose_alert")
def alert_update(request, identifier):
    original = _staff_alert(identifier)
    if original.state != Alert.State.PUBLISHED or original.msg_type == Alert.MsgType.CANCEL:
        raise NotFoundError()
    return _compose(request, template_key=original.template_key or "free", original=original)


def _staff_detail(request, alert: Alert, *, status=200, reject_form=None):
    now = timezone.now()
    user = request.user
    problems = services.alert_problems(alert, now=now) \
        if alert.state in (Alert.State.DRAFT, Alert.State.AWAITING_APPROVAL) else []
    language = page_language()
    return render(request, "disaster/alerts/staff_detail.html", {
        "alert": alert, "blocks": _language_blocks(alert, "ja"),
        "areas": _area_text(alert, "ja" if language == "ja" else "en"),
        "problems": problems,
        "may_compose": can(user, "disaster.compose_alert"),
        "may_approve": can(user, "disaster.approve_alert") and alert.created_by_id != user.pk,
        "own_alert": alert.created_by_id == user.pk,
        "reject_form": reject_form or RejectForm(),
        "published": alert.state == Alert.State.PUBLISHED
        and alert.msg_type != Alert.MsgType.CANCEL,
    }, status=status)


@never_cache
@staff_alerts_required
def alert_staff_detail(request, identifier):
    return _staff_detail(request, _staff_alert(identifier))


def _act(request, identifier, action, success_message):
    alert = _staff_alert(identifier)
    try:
        result = action(alert)
    except CityhallError as exc:
        if exc.status not in (400, 403, 409):
            raise
        messages.error(request, str(exc.message))
        return _staff_detail(request, _staff_alert(identifier), status=exc.status)
    messages.success(request, success_message)
    return redirect("disaster:alert_staff_detail", result.identifier)


@require_POST
@staff_permission_required("disaster.compose_alert")
def alert_submit(request, identifier):
    return _act(request, identifier,
                lambda alert: services.alert_submit(alert=alert, actor=request.user),
                _("Submitted: another staff member must now approve it."))


@require_POST
@staff_permission_required("disaster.approve_alert")
def alert_approve(request, identifier):
    return _act(request, identifier,
                lambda alert: services.alert_approve(alert=alert, actor=request.user),
                _("Approved and published."))


@require_POST
@staff_permission_required("disaster.approve_alert")
def alert_reject(request, identifier):
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _staff_detail(request, _staff_alert(identifier), status=400, reject_form=form)
    return _act(request, identifier,
                lambda alert: services.alert_reject(alert=alert, actor=request.user,
                                                    reason=form.cleaned_data["reason"]),
                _("Sent back to draft."))


@require_POST
@staff_permission_required("disaster.compose_alert")
def alert_discard(request, identifier):
    return _act(request, identifier,
                lambda alert: services.alert_discard(alert=alert, actor=request.user),
                _("The draft is discarded."))


@require_POST
@staff_permission_required("disaster.compose_alert")
def alert_cancel(request, identifier):
    return _act(request, identifier,
                lambda alert: services.alert_cancel_create(original=alert, actor=request.user),
                _("A cancel message is drafted. Submit it; another staff member approves it."))
