"""The LINE channel (LINE Messaging API through the official line-bot-sdk v3) and the webhook
of the city's official account (取組12, 17: 防災情報をLINEで).

Other apps answer text messages through `register_text_handler` (e.g. the feedback app
records an opinion sent as 「意見 ...」); the engine knows nothing of them.

Multicast takes at most 500 user ids a request; each batch carries an `X-Line-Retry-Key`
(a UUID) that the engine stores on the batch's deliveries BEFORE the call, so a retry after a
timeout, a 5xx or a killed worker sends the same key and LINE does not deliver twice (it
answers 409 for a key it already accepted, which counts as sent). `LINE_API_BASE` points the
SDK at another server (the tests' fake).
"""

import logging

from django.conf import settings
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    ReplyMessageRequest,
    TextMessage,
)

from .channels import FAILED, RETRY, SENT, Channel, Outcome, rendered

logger = logging.getLogger(__name__)

MULTICAST_MAX = 500  # messaging-api.yml: MulticastRequest.to maxItems
TEXT_MAX = 5000  # a text message's maximum length


def api_client() -> ApiClient:
    configuration = Configuration(host=settings.LINE_API_BASE,
                                  access_token=settings.LINE_CHANNEL_ACCESS_TOKEN)
    return ApiClient(configuration)


def line_text(message, subscription) -> str:
    context = rendered(message, subscription)
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(context["language"]):
        text = render_to_string("notifications/line_message.txt", context).strip()
    return text[:TEXT_MAX]


class LineChannel(Channel):
    code = "line"
    batch_size = MULTICAST_MAX

    def variants(self, message) -> list[dict]:
        # Everyone in one multicast reads the same text: one group per language (and
        # やさしい日本語), which is how the text is chosen in `rendered`.
        groups = [{"subscription__language": code, "subscription__easy_japanese": False}
                  for code in ("ja", "en", "zh-hans", "ko")]
        groups.append({"subscription__language": "ja", "subscription__easy_japanese": True})
        return groups

    def send(self, message, deliveries) -> list[Outcome]:
        deliveries = list(deliveries)
        if not settings.LINE_CHANNEL_ACCESS_TOKEN:
            return [Outcome(d.pk, FAILED, error="LINE is not configured") for d in deliveries]
        keys = {d.batch_key for d in deliveries}
        assert len(keys) == 1 and "" not in keys, "a LINE batch shares one stored retry key"
        assert len(deliveries) <= MULTICAST_MAX
        retry_key = keys.pop()
        request = MulticastRequest(
            to=[d.subscription.line_user_id for d in deliveries],
            messages=[TextMessage(text=line_text(message, deliveries[0].subscription))],
            notificationDisabled=False)
        try:
            with api_client() as client:
                response = MessagingApi(client).multicast_with_http_info(
                    request, x_line_retry_key=retry_key, _request_timeout=15)
            request_id = (response.headers or {}).get("x-line-request-id", "")
        except ApiException as exc:
            status = exc.status or 0
            if status == 409:
                # The key was accepted before (our earlier try reached LINE): delivered.
                accepted = (exc.headers or {}).get("x-line-accepted-request-id", "")
                return [Outcome(d.pk, SENT, provider_id=accepted) for d in deliveries]
            if status == 429 or status >= 500:
                return [Outcome(d.pk, RETRY, error=f"LINE {status}") for d in deliveries]
            logger.warning("LINE refused a multicast: %s", status)
            return [Outcome(d.pk, FAILED, error=f"LINE {status}: {(exc.body or '')[:200]}")
                    for d in deliveries]
        except OSError as exc:  # connection refused, timeout: the same key is sent again
            return [Outcome(d.pk, RETRY, error=type(exc).__name__) for d in deliveries]
        return [Outcome(d.pk, SENT, provider_id=request_id) for d in deliveries]


def line_reply(reply_token: str, text: str) -> None:
    """Answer a LINE user's message (the reply API; a reply token is usable once)."""
    if not settings.LINE_CHANNEL_ACCESS_TOKEN or not reply_token:
        return
    try:
        with api_client() as client:
            MessagingApi(client).reply_message(ReplyMessageRequest(
                replyToken=reply_token, messages=[TextMessage(text=text[:TEXT_MAX])]),
                _request_timeout=10)
    except (ApiException, OSError) as exc:
        # The console's "Verify" sends dummy reply tokens; a failed reply changes nothing.
        logger.info("LINE reply not sent: %s", getattr(exc, "status", type(exc).__name__))


# --- text handlers: how other apps answer a text sent to the official account ----------------

_text_handlers: list = []


def register_text_handler(handler) -> None:
    """Let an app answer text messages: `handler(line_user_id, text, language)` returns the
    reply text, or None to leave the message to the next handler (and finally to the help
    reply). Handlers are asked in the order they were registered; registering one twice
    keeps its first place. The app registers in its `AppConfig.ready()`."""
    if handler not in _text_handlers:
        _text_handlers.append(handler)


def text_handlers() -> list:
    return list(_text_handlers)


def handle_text(line_user_id: str, text: str, language: str) -> str | None:
    """The first reply a registered handler gives; a failing handler is logged and skipped,
    so that one app's bug never breaks the webhook."""
    for handler in text_handlers():
        try:
            reply = handler(line_user_id, text, language)
        except Exception:
            logger.exception("LINE text handler %r failed", handler)
            continue
        if reply:
            return reply
    return None
