"""Pages of the notifications engine (取組12, 17, 20, 21).

Residents (signed in or not): choose topics, language, format needs, quiet hours and channels;
an anonymous email subscription confirmed by a link; settings and unsubscribing by the link in
every message, without signing in; the inbox. Screens at branch offices: the signage feed.
Services: the LINE webhook and the Web Push subscription endpoint. Staff: compose, preview,
send, and the live progress of a send. Views parse, check access, call one service, render.
"""

import json
import logging

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityhall.core.errors import CityhallError
from cityhall.core.permissions import staff_permission_required

from . import services
from .channels import render_plain
from .forms import ComposeForm, EmailSubscribeForm, PreferencesForm
from .models import LANGUAGE_CODES, Delivery, Message, Subscription, Topic
from .signage import signage_items

logger = logging.getLogger(__name__)


def _language() -> str:
    language = (get_language() or "ja").lower()
    return language if language in LANGUAGE_CODES else "ja"


def _initial(subscription) -> dict:
    return {"topics": list(subscription.topics.all()), "language": subscription.language,
            "large_text": subscription.large_text, "plain_text": subscription.plain_text,
            "easy_japanese": subscription.easy_japanese,
            "quiet_start": subscription.quiet_start, "quiet_end": subscription.quiet_end,
            "via_email": subscription.via_email, "via_line": subscription.via_line,
            "via_push": subscription.via_push}


def _save_preferences(request, subscription, form) -> None:
    data = form.cleaned_data
    services.subscription_update(
        subscription=subscription, topics=data["topics"], language=data["language"],
        plain_text=data["plain_text"], large_text=data["large_text"],
        easy_japanese=data["easy_japanese"], quiet_start=data["quiet_start"],
        quiet_end=data["quiet_end"], via_email=data.get("via_email"),
        via_line=data.get("via_line"), via_push=data.get("via_push"),
        actor=request.user if request.user.is_authenticated else None)


def _push_context() -> dict:
    return {"vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "line_add_friend_url": settings.LINE_ADD_FRIEND_URL}


def _line_qr(url: str) -> str:
    if not url:
        return ""
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, omitsize=False)


# --- residents ---------------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """Signed in: your own choices. Anonymous: subscribe an email address (confirmed by a
    link) or this browser (Web Push), or add the LINE official account."""
    status = 200
    context = {**_push_context(), "line_qr": _line_qr(settings.LINE_ADD_FRIEND_URL),
               "topics": Topic.objects.in_display_order()}
    if request.user.is_authenticated:
        subscription = services.subscription_for_user(request.user)
        form = PreferencesForm(request.POST or None, subscription=subscription,
                               initial=_initial(subscription))
        if request.method == "POST":
            if form.is_valid():
                try:
                    _save_preferences(request, subscription, form)
                except CityhallError as exc:
                    form.add_error(None, str(exc.message))
                else:
                    flash.success(request, _("Your choices are saved."))
                    return redirect("notifications:subscribe")
            status = 400
        context.update(form=form, subscription=subscription)
        return render(request, "notifications/subscribe.html", context, status=status)
    form = EmailSubscribeForm(request.POST or None, initial={"language": _language()})
    if request.method == "POST":
        if form.is_valid():
            services.subscription_email_start(email=form.cleaned_data["email"],
                                              topics=form.cleaned_data["topics"],
                                              language=form.cleaned_data["language"])
            return render(request, "notifications/email_sent.html",
                          {"email": form.cleaned_data["email"]})
        status = 400
    context.update(form=form, subscription=None)
    return render(request, "notifications/subscribe.html", context, status=status)


def _by_token(token) -> Subscription:
    subscription = Subscription.objects.filter(token=token).first() if token else None
    if subscription is None:
        raise Http404
    return subscription


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request, token):
    """Settings by the link in every message, without signing in."""
    subscription = _by_token(token)
    form = PreferencesForm(request.POST or None, subscription=subscription,
                           initial=_initial(subscription))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _save_preferences(request, subscription, form)
            flash.success(request, _("Your choices are saved."))
            return redirect("notifications:manage", token=token)
        status = 400
    return render(request, "notifications/manage.html",
                  {"form": form, "subscription": subscription, "token": token},
                  status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """Stop everything: one button, no sign-in. GET only shows the button, so that a mail
    scanner following the link stops nothing."""
    subscription = _by_token(token)
    if request.method == "POST":
        services.subscription_unsubscribe(subscription=subscription)
        return render(request, "notifications/unsubscribed.html",
                      {"subscription": subscription, "token": token})
    return render(request, "notifications/unsubscribe.html",
                  {"subscription": subscription, "token": token})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    subscription = _by_token(token)
    if request.method == "POST":
        services.subscription_email_confirm(subscription=subscription)
        flash.success(request, _("Your email address is confirmed. You will receive the "
                                 "topics you chose."))
        return redirect("notifications:manage", token=token)
    return render(request, "notifications/confirm.html",
                  {"subscription": subscription, "token": token})


@login_required
@never_cache
def inbox(request):
    subscription = services.subscription_for_user(request.user)
    items = (Delivery.objects.filter(subscription=subscription, channel="inbox")
             .select_related("message").order_by("-created_at")[:100])
    language = _language()
    rows = [{"delivery": item, "text": item.message.text_for(language)} for item in items]
    return render(request, "notifications/inbox.html", {"rows": rows})


@login_required
@never_cache
def inbox_item(request, delivery_id):
    item = (Delivery.objects.filter(pk=delivery_id, channel="inbox",
                                    subscription__user=request.user)
            .select_related("message", "subscription").first())
    if item is None:
        raise Http404
    services.inbox_mark_read(delivery=item)
    text = item.message.text_for(_language(), easy=item.subscription.easy_japanese)
    return render(request, "notifications/inbox_item.html",
                  {"item": item, "text": text})


# --- signage -------------------------------------------------------------------------------------

def _signage_request(request):
    area = (request.GET.get("area") or "")[:30]
    language = request.GET.get("lang") or _language()
    if language not in LANGUAGE_CODES:
        language = "ja"
    items, overridden = signage_items(area=area)
    return area, language, items, overridden


@require_GET
def signage_json(request):
    area, language, items, overridden = _signage_request(request)
    return JsonResponse({
        "area": area, "language": language, "overridden": overridden,
        "generated_at": timezone.now().isoformat(),
        "items": [{"key": item.key, "severity": item.severity,
                   "title": item.text_in(language).get("title", ""),
                   "body": item.text_in(language).get("body", ""),
                   "texts": item.texts,
                   "updated_at": item.updated_at.isoformat() if item.updated_at else None}
                  for item in items]},
        json_dumps_params={"ensure_ascii": False})


@require_GET
def signage_page(request):
    """Full-screen page for the screens at branch offices; reloads itself every 30 seconds
    without JavaScript through the `Refresh` header (the HTTP form of a meta refresh, which
    every browser honours). An unattended screen showing live information is the real-time
    exception of WCAG 2.2.1; people reading on their own device use the JSON or the portal."""
    area, language, items, overridden = _signage_request(request)
    rows = [{"item": item, "text": item.text_in(language)} for item in items]
    response = render(request, "notifications/signage.html",
                      {"rows": rows, "overridden": overridden, "area": area,
                       "screen_language": language, "refresh_seconds": 30})
    response["Cache-Control"] = "no-cache"
    response["Refresh"] = "30"
    return response


# --- LINE webhook ----------------------------------------------------------------------------

@csrf_exempt
@require_POST
def line_webhook(request):
    """LINE calls this with the events of the official account. The X-Line-Signature
    (HMAC-SHA256 of the raw body with the channel secret) is checked by the SDK's parser
    over the body exactly as received; a bad or missing signature changes nothing."""
    from linebot.v3 import WebhookParser
    from linebot.v3.exceptions import InvalidSignatureError
    from linebot.v3.webhooks import FollowEvent, MessageEvent, TextMessageContent, UnfollowEvent

    from .line import handle_text, line_reply

    secret = settings.LINE_CHANNEL_SECRET
    signature = request.headers.get("X-Line-Signature", "")
    if not secret or not signature:
        return HttpResponseBadRequest("signature required")
    try:
        body = request.body.decode("utf-8")
        events = WebhookParser(secret).parse(body, signature)
    except InvalidSignatureError:
        return HttpResponseBadRequest("invalid signature")
    except (UnicodeDecodeError, ValueError):
        return HttpResponseBadRequest("invalid body")
    for event in events:
        if not services.line_event_first_time(getattr(event, "webhook_event_id", "") or ""):
            continue
        user_id = getattr(getattr(event, "source", None), "user_id", None)
        if not user_id:
            continue
        if isinstance(event, FollowEvent):
            subscription = services.line_follow(line_user_id=user_id)
            line_reply(event.reply_token, _line_help(subscription))
        elif isinstance(event, UnfollowEvent):
            services.line_unfollow(line_user_id=user_id)
        elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            subscription = Subscription.objects.filter(line_user_id=user_id).first()
            language = subscription.language if subscription else "ja"
            answer = handle_text(user_id, event.message.text or "", language)
            line_reply(event.reply_token, answer or _line_help(subscription))
    return HttpResponse("OK")


def _line_help(subscription) -> str:
    from django.utils import translation

    language = subscription.language if subscription else "ja"
    with translation.override(language):
        if subscription is None:
            return _("Add this account as a friend to receive disaster information from "
                     "the city.")
        link = settings.PORTAL_URL + reverse("notifications:manage", args=[subscription.token])
        return _("You receive disaster information from the city here. To choose topics, "
                 "your language or quiet hours, or to stop: %(link)s") % {"link": link}


# --- Web Push --------------------------------------------------------------------------------

@require_GET
def vapid_public_key(request):
    if not settings.VAPID_PUBLIC_KEY:
        raise Http404
    return HttpResponse(settings.VAPID_PUBLIC_KEY, content_type="text/plain")


@require_POST
def push_subscription(request):
    """Store a browser's PushSubscription.toJSON() (with chosen topics and language)."""
    try:
        data = json.loads(request.body.decode("utf-8"))
        keys = data.get("keys") or {}
        endpoint, p256dh, auth = data["endpoint"], keys["p256dh"], keys["auth"]
        if not all(isinstance(v, str) for v in (endpoint, p256dh, auth)):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return JsonResponse({"error": {"code": "invalid", "message": _(
            "The browser's push subscription is not valid.")}}, status=400)
    keys = data.get("topics") if isinstance(data.get("topics"), list) else []
    ids = data.get("topic_ids") if isinstance(data.get("topic_ids"), list) else []
    topics = list(Topic.objects.filter(
        Q(key__in=[k for k in keys if isinstance(k, str)])
        | Q(pk__in=[i for i in ids if isinstance(i, int) and not isinstance(i, bool)])))
    if not topics:
        topics = list(Topic.objects.filter(key="disaster"))
    language = data.get("language") if data.get("language") in LANGUAGE_CODES else _language()
    try:
        subscription, created = services.push_subscribe(
            endpoint=endpoint, p256dh=p256dh, auth=auth, topics=topics, language=language,
            user=request.user if request.user.is_authenticated else None)
    except CityhallError as exc:
        return JsonResponse({"error": exc.as_dict()}, status=exc.status)
    settings_url = reverse("notifications:manage", args=[subscription.token])
    return JsonResponse({"settings_url": settings_url}, status=201 if created else 200)


# --- staff -----------------------------------------------------------------------------------

@staff_permission_required("notifications.view_message")
@never_cache
def staff_home(request):
    recent = (Message.objects.filter(recipient__isnull=True).prefetch_related("topics")
              .order_by("-created_at")[:50])
    return render(request, "notifications/staff/home.html", {"recent": recent})


@staff_permission_required("notifications.send_message")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_compose(request):
    form = ComposeForm(request.POST or None)
    preview = None
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif request.POST.get("action") == "send":
            try:
                with transaction.atomic():
                    message = services.message_publish(
                        topic_keys=[t.key for t in form.cleaned_data["topics"]],
                        texts=form.texts(), urgent=form.cleaned_data["urgent"],
                        dedupe_key=f"staff:{form.cleaned_data['send_key']}",
                        url=form.cleaned_data["url"], actor=request.user, source="staff")
            except CityhallError as exc:
                form.add_error(None, str(exc.message))
                status = 400
            else:
                flash.success(request, _("The message is stored and being sent."))
                return redirect("notifications:staff_message", message_id=message.pk)
        else:
            preview = _preview(form)
    return render(request, "notifications/staff/compose.html",
                  {"form": form, "preview": preview}, status=status)


def _preview(form) -> list[dict]:
    """How each language version will read, with the settings link a subscriber gets."""
    message = Message(texts=form.texts(), urgent=form.cleaned_data["urgent"],
                      url=form.cleaned_data["url"])
    rows = []
    for language in form.texts():
        sample = Subscription(language="ja" if language == "ja-easy" else language,
                              easy_japanese=language == "ja-easy",
                              token="example")  # noqa: S106 - a placeholder link
        subject, text = render_plain(message, sample)
        rows.append({"language": language, "subject": subject, "text": text})
    return rows


@staff_permission_required("notifications.view_message")
@never_cache
def staff_message(request, message_id):
    message = Message.objects.filter(pk=message_id, recipient__isnull=True).first()
    if message is None:
        raise Http404
    progress = services.message_progress(message)
    context = {"message": message, "progress": progress,
               "text": message.text_for(_language()), "topics": message.topics.all()}
    if request.headers.get("HX-Request") or request.GET.get("partial"):
        return render(request, "notifications/staff/_progress.html", context)
    return render(request, "notifications/staff/message.html", context)
