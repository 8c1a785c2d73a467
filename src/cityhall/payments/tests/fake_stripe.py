"""A small fake of Stripe's API, written from Stripe's public API reference, for the tests and
the benchmark of the card adapter (`providers.StripeProvider`, which talks to it through the
official `stripe` library with `base_addresses={"api": ...}`).

It serves, on 127.0.0.1 and a random port, what the city uses:

    POST /v1/checkout/sessions                 mode=payment, hosted page (`url`)
    GET  /v1/checkout/sessions/{id}
    POST /v1/checkout/sessions/{id}/expire
    GET  /v1/payment_intents/{id}
    POST /v1/payment_intents/{id}/capture      only from requires_capture
    POST /v1/payment_intents/{id}/cancel
    POST /v1/refunds                           amount ≤ captured − refunded
    GET  /v1/refunds/{id}
    GET|POST /pay/{session_id}                 the hosted payment page (a plain HTML form)

as Stripe documents it: secret-key auth (Bearer, or Basic with the key as user name);
form-encoded bodies with nested keys (`line_items[0][price_data][currency]=jpy`); JSON
objects with their `object` field; errors shaped `{"error": {"type", "message", "code",
"param"}}` with 400/401/404 (and any status, 402 card errors and 5xx included, through
`fail_next`); `Idempotency-Key` on POST (the first response is saved and
replayed with `Idempotent-Replayed: true`; other parameters or another endpoint under the same
key → 400 `idempotency_error`; requests that fail validation are not saved); unknown
parameters refused; JPY is a zero-decimal currency (amounts are whole yen, at least ¥50).

A Checkout Session creates its PaymentIntent when the payer submits the page (API versions
since 2022-08-01), with `payment_intent_data[capture_method]`. A declined card leaves the
session open — the payer may try another card — and the PaymentIntent in
`requires_payment_method` with `last_payment_error`.

Events are snapshots `{"id": "evt_…", "object": "event", "type", "created", "api_version",
"data": {"object": …}, …}`, signed as Stripe signs webhooks: the header
`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the whsec secret>`.
Like Stripe, the fake sends them after the fact: they wait in `outbox` until `flush()` (which
`pay()` calls when `auto_deliver` is on) hands each to the `deliver(body, signature)` hook.
Tests may instead `take_events()` and `send()` them again, out of order, or tampered with.

Test controls are Python methods: `pay()`, `expire()`, `settle_refund()`, `fail_next()`.
The state is guarded by one lock: every API request runs alone, as a single database
transaction would at Stripe.
"""

import base64
import contextlib
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"  # Stripe's test card for a generic decline
INSUFFICIENT_FUNDS_CARD = "4000000000009995"
DEFAULT_API_VERSION = "2026-10-28.endive"
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                "vnd", "vuv", "xaf", "xof", "xpf"}
MINIMUM_AMOUNT = {"jpy": 50, "usd": 50, "eur": 50}  # in the currency's smallest unit
DECLINES = {
    DECLINED_CARD: ("card_declined", "generic_decline", "Your card was declined."),
    INSUFFICIENT_FUNDS_CARD: ("card_declined", "insufficient_funds",
                              "Your card has insufficient funds."),
}


class StripeError(Exception):
    """An error response in Stripe's shape. `saved` says whether the idempotency layer keeps
    it (Stripe keeps what happens once an endpoint has begun; not failed validation)."""

    def __init__(self, status, message, *, type="invalid_request_error", code=None,
                 param=None, saved=False, extra=None):
        super().__init__(message)
        self.status, self.saved = status, saved
        self.body = {"error": {"type": type, "message": message}}
        if code:
            self.body["error"]["code"] = code
            self.body["error"]["doc_url"] = f"https://stripe.com/docs/error-codes/{code}"
        if param:
            self.body["error"]["param"] = param
        self.body["error"].update(extra or {})


def _invalid(message, param=None, code=None):
    return StripeError(400, message, param=param, code=code)


def _missing(kind, object_id, param="id"):
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing",
                       param=param)


# --- form decoding -------------------------------------------------------------------------

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(body: str) -> dict:
    """Stripe's form encoding into nested dicts and lists: `a[b][0][c]=1`, `expand[]=x`."""
    root: dict = {}
    for raw_key, value in urllib.parse.parse_qsl(body, keep_blank_values=True,
                                                 strict_parsing=False):
        match = _KEY.match(raw_key)
        if not match:
            raise _invalid(f"Invalid parameter name: {raw_key}", param=raw_key)
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(node, list):
                if part != "":
                    raise _invalid(f"Invalid array: {raw_key}", param=path[0])
                if last:
                    node.append(value)
                    break
                node.append({})
                node = node[-1]
                continue
            if last:
                if isinstance(node.get(part), dict | list):
                    raise _invalid(f"Invalid hash: {raw_key}", param=path[0])
                node[part] = value
                break
            child = node.get(part)
            want_list = path[depth + 1] == ""
            if child is None:
                child = node[part] = [] if want_list else {}
            elif not isinstance(child, dict | list) or isinstance(child, list) != want_list:
                raise _invalid(f"Invalid hash: {raw_key}", param=path[0])
            node = child
    return _lists(root)


def _lists(value):
    """`{"0": …, "1": …}` (indexed arrays) become lists, as Stripe reads them."""
    if isinstance(value, list):
        return [_lists(item) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: _lists(item) for key, item in value.items()}
    if value and all(key.isdigit() for key in value):
        indexes = sorted(int(key) for key in value)
        if indexes == list(range(len(indexes))):
            return [value[str(index)] for index in indexes]
    return value


def _only(params: dict, allowed: set, prefix=""):
    for key in params:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise _invalid(f"Received unknown parameter: {name}", param=name)


def _int(params, name, *, required=False, minimum=None, param=None):
    value = params.get(name)
    param = param or name
    if value is None or value == "":
        if required:
            raise _invalid(f"Missing required param: {param}.", param=param,
                           code="parameter_missing")
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise _invalid(f"Invalid integer: {value}", param=param)
    number = int(value)
    if minimum is not None and number < minimum:
        raise _invalid(f"This value must be greater than or equal to {minimum}.",
                       param=param)
    return number


def _metadata(params, name="metadata"):
    metadata = params.get(name) or {}
    if metadata == "":
        return {}
    if not isinstance(metadata, dict):
        raise _invalid("Invalid hash", param=name)
    if len(metadata) > 50:
        raise _invalid("Metadata can have up to 50 keys.", param=name)
    for key, value in metadata.items():
        if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
            raise _invalid("Metadata keys are up to 40 characters and values up to 500.",
                           param=f"{name}[{key}]")
    return {key: value for key, value in metadata.items() if value != ""}


def _new_id(prefix):
    return f"{prefix}_{secrets.token_hex(12)}"


# --- the server ----------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake):
        self.fake = fake
        self.connections: set = set()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeStripe/1.0"
    # Headers and body leave in one write, without Nagle's delay: small answers would
    # otherwise wait ~40 ms for the client's delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self):
        self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format, *args):  # quiet: tests read `fake.requests` instead
        return

    def do_GET(self):
        self.server.fake._handle(self, "GET")

    def do_POST(self):
        self.server.fake._handle(self, "POST")

    def do_DELETE(self):
        self.server.fake._handle(self, "DELETE")

    def reply(self, status, body: bytes, content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def drop(self):
        """The connection breaks before any answer (a network failure)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class FakeStripe:
    """`FakeStripe(secret_key=..., webhook_secret=...).start()`; `.api_base` is the address
    to give the client; `.stop()` ends it (and breaks open connections)."""

    def __init__(self, *, secret_key="sk_test_cityhall_fake", webhook_secret=None,  # noqa: S107
                 deliver=None, auto_deliver=True, refund_status="succeeded"):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret or f"whsec_{secrets.token_hex(16)}"
        self.deliver = deliver  # deliver(body: bytes, signature: str | None) -> (status, text)
        self.auto_deliver = auto_deliver
        self.refund_status = refund_status  # "succeeded" or "pending" for new refunds
        self.api_version = DEFAULT_API_VERSION
        self._lock = threading.RLock()
        self._server = None
        self._thread = None
        self.api_base = ""
        self.reset()

    def reset(self):
        with self._lock:
            self.sessions: dict = {}
            self.payment_intents: dict = {}
            self.charges: dict = {}
            self.refunds: dict = {}
            self.events: list = []  # every event ever emitted, in order
            self.outbox: list = []  # emitted, not yet delivered
            self.deliveries: list = []  # {"event", "type", "status", "text"}
            self.requests: list = []  # {"method", "path", "status", "idempotency_key", ...}
            self.created: Counter = Counter()  # objects made, by `object` name
            self._saved: dict = {}  # idempotency key → saved request and response
            self._faults: list = []

    # --- life ----------------------------------------------------------------------------

    def start(self):
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-stripe", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.api_base = f"http://{host}:{port}"
        return self

    def stop(self):
        """Stop listening and break every open connection: the provider is down."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        for connection in list(self._server.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join()
        self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- test controls -------------------------------------------------------------------

    def fail_next(self, method: str, path: str, *, times: int = 1, status: int = 500,
                  mode: str = "error", should_retry: bool | None = None):
        """Make the next `times` requests whose path starts with `path` fail.

        mode "error": answer `status` in Stripe's error shape before the endpoint runs (so
        the idempotency layer saves nothing): an api_error for 5xx, a card_error for 402,
        an invalid_request_error otherwise; with `Stripe-Should-Retry` if given;
        mode "drop": break the connection before the endpoint runs;
        mode "drop_after": run the endpoint (and save its response under the idempotency
        key), then break the connection: the work is done but the answer is lost."""
        assert mode in ("error", "drop", "drop_after")
        with self._lock:
            self._faults.append({"method": method.upper(), "path": path, "left": times,
                                 "status": status, "mode": mode,
                                 "should_retry": should_retry})

    def count(self, method: str, path: str) -> int:
        """Requests received for a method and a path prefix (replays and failures too)."""
        with self._lock:
            return sum(1 for request in self.requests
                       if request["method"] == method.upper()
                       and request["path"].startswith(path))

    def pay(self, session_id: str, card: str = GOOD_CARD, *, deliver: bool = True) -> str:
        """The payer submits the hosted page with `card`. Returns "paid" or the decline
        code. Its events are delivered at once when `auto_deliver` (and `deliver`) is on."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None or session["status"] != "open":
                raise ValueError(f"checkout session {session_id} is not open")
            intent = self._session_intent(session)
            charge_card = re.sub(r"\D", "", card)
            if charge_card in DECLINES or not charge_card.startswith("4"):
                code, decline_code, message = DECLINES.get(
                    charge_card, ("card_declined", "generic_decline", "Your card was declined."))
                intent["last_payment_error"] = {
                    "type": "card_error", "code": code, "decline_code": decline_code,
                    "message": message, "payment_method": {
                        "id": _new_id("pm"), "object": "payment_method", "type": "card",
                        "card": {"brand": "visa", "last4": charge_card[-4:]}}}
                intent["status"] = "requires_payment_method"
                self._emit("payment_intent.payment_failed", intent)
                outcome = decline_code
            else:
                self._authorize(session, intent, charge_card)
                outcome = "paid"
        if deliver and self.auto_deliver:
            self.flush()
        return outcome

    def expire(self, session_id: str, *, deliver: bool = True):
        """The session's 24 hours are over (as if Stripe expired it)."""
        with self._lock:
            self._expire(self.sessions[session_id], request=None)
        if deliver and self.auto_deliver:
            self.flush()

    def settle_refund(self, refund_id: str, status: str = "succeeded", *,
                      deliver: bool = True):
        """A pending refund reaches the card network's answer; sends refund.updated (and
        charge.refunded or refund.failed)."""
        assert status in ("succeeded", "failed")
        with self._lock:
            refund = self.refunds[refund_id]
            if refund["status"] != "pending":
                raise ValueError(f"refund {refund_id} is {refund['status']}")
            refund["status"] = status
            charge = self.charges[refund["charge"]]
            if status == "failed":
                refund["failure_reason"] = "expired_or_canceled_card"
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
            self._emit("refund.updated", refund, previous={"status": "pending"})
            self._emit("charge.refunded" if status == "succeeded" else "refund.failed",
                       charge if status == "succeeded" else refund)
        if deliver and self.auto_deliver:
            self.flush()

    # --- webhooks ------------------------------------------------------------------------

    def sign(self, body: bytes | str, *, timestamp: int | None = None,
             secret: str | None = None) -> str:
        """The Stripe-Signature header for `body`, as Stripe documents it."""
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new((secret or self.webhook_secret).encode("utf-8"),
                          f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
        # Test-mode headers also carry a v0 signature, which receivers ignore.
        return f"t={timestamp},v1={digest},v0={secrets.token_hex(32)}"

    @staticmethod
    def body_of(event: dict) -> bytes:
        return json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")

    def send(self, event: dict, *, body: bytes | None = None, signature: str | None = "sign",
             timestamp: int | None = None, secret: str | None = None):
        """Deliver one event through the `deliver` hook; returns (status, text). `signature`
        "sign" signs the body; None sends no header; any other string is sent as is."""
        body = self.body_of(event) if body is None else body
        if signature == "sign":
            signature = self.sign(body, timestamp=timestamp, secret=secret)
        if self.deliver is None:
            raise RuntimeError("no deliver hook is set")
        status, text = self.deliver(body, signature)
        with self._lock:
            self.deliveries.append({"event": event.get("id"), "type": event.get("type"),
                                    "status": status, "text": text})
        return status, text

    def take_events(self) -> list:
        """The events waiting for delivery, taken out of the outbox (to deliver by hand)."""
        with self._lock:
            events, self.outbox = self.outbox, []
        return events

    def flush(self) -> list:
        """Deliver the waiting events in order, including any that delivering them causes
        (e.g. the capture that a webhook triggers). Returns the (status, text) answers."""
        answers = []
        while True:
            with self._lock:
                if not self.outbox:
                    return answers
                event = self.outbox.pop(0)
            answers.append(self.send(event))

    def events_of(self, type: str) -> list:
        with self._lock:
            return [event for event in self.events if event["type"] == type]

    # --- objects and events --------------------------------------------------------------

    def _emit(self, type, obj, *, previous=None, request=None):
        event = {"id": _new_id("evt"), "object": "event", "api_version": self.api_version,
                 "created": int(time.time()), "type": type, "livemode": False,
                 "pending_webhooks": 1,
                 "request": {"id": (request or {}).get("id"),
                             "idempotency_key": (request or {}).get("idempotency_key")},
                 "data": {"object": copy.deepcopy(self._public(obj))}}
        if previous:
            event["data"]["previous_attributes"] = previous
        self.events.append(event)
        self.outbox.append(event)
        return event

    def _session_intent(self, session):
        if session["payment_intent"]:
            return self.payment_intents[session["payment_intent"]]
        data = session["_payment_intent_data"]
        intent = {
            "id": _new_id("pi"), "object": "payment_intent", "amount": session["amount_total"],
            "amount_capturable": 0, "amount_received": 0, "currency": session["currency"],
            "capture_method": data.get("capture_method") or "automatic_async",
            "status": "requires_payment_method", "metadata": data.get("metadata", {}),
            "description": data.get("description"), "latest_charge": None,
            "last_payment_error": None, "payment_method_types": ["card"],
            "canceled_at": None, "cancellation_reason": None, "created": int(time.time()),
            "livemode": False, "_session": session["id"]}
        self.payment_intents[intent["id"]] = intent
        self.created["payment_intent"] += 1
        session["payment_intent"] = intent["id"]
        return intent

    def _authorize(self, session, intent, card):
        manual = intent["capture_method"] == "manual"
        charge = {
            "id": _new_id("ch"), "object": "charge", "amount": intent["amount"],
            "amount_captured": 0 if manual else intent["amount"], "amount_refunded": 0,
            "captured": not manual, "currency": intent["currency"], "paid": True,
            "refunded": False, "status": "succeeded", "payment_intent": intent["id"],
            "metadata": dict(intent["metadata"]), "description": intent["description"],
            "payment_method_details": {"type": "card", "card": {"brand": "visa",
                                                                "last4": card[-4:]}},
            "created": int(time.time()), "livemode": False}
        self.charges[charge["id"]] = charge
        self.created["charge"] += 1
        intent.update(latest_charge=charge["id"], last_payment_error=None)
        if manual:
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
            self._emit("payment_intent.amount_capturable_updated", intent)
        else:
            intent.update(status="succeeded", amount_received=intent["amount"])
            self._emit("payment_intent.succeeded", intent)
        session.update(status="complete", url=None,
                       payment_status="unpaid" if manual else "paid")
        self._emit("checkout.session.completed", session)

    def _expire(self, session, request):
        if session["status"] != "open":
            raise StripeError(400, "Only Checkout Sessions with a status in [\"open\"] can be "
                              "expired.", saved=True)
        session.update(status="expired", url=None)
        if session["payment_intent"]:
            intent = self.payment_intents[session["payment_intent"]]
            intent.update(status="canceled", cancellation_reason="abandoned",
                          canceled_at=int(time.time()))
            self._emit("payment_intent.canceled", intent, request=request)
        self._emit("checkout.session.expired", session, request=request)
        return session

    @staticmethod
    def _public(obj):
        return {key: value for key, value in obj.items() if not key.startswith("_")}

    # --- HTTP ----------------------------------------------------------------------------

    def _handle(self, handler, method):
        url = urllib.parse.urlsplit(handler.path)
        path = url.path
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8", "replace") if length else ""
        if path.startswith("/pay/"):
            return self._hosted_page(handler, method, path.removeprefix("/pay/"), raw)
        request = {"id": f"req_{secrets.token_hex(7)}", "method": method, "path": path,
                   "idempotency_key": handler.headers.get("Idempotency-Key"),
                   "replayed": False, "status": None}
        with self._lock:
            self.requests.append(request)
            fault = self._fault_for(method, path)
            version = handler.headers.get("Stripe-Version")
            if version:
                self.api_version = version
        headers = {"Request-Id": request["id"], "Stripe-Version": self.api_version}
        if fault and fault["mode"] == "drop":
            request["status"] = "dropped"
            return handler.drop()
        if fault and fault["mode"] == "error":
            if fault["should_retry"] is not None:
                headers["Stripe-Should-Retry"] = "true" if fault["should_retry"] else "false"
            request["status"] = fault["status"]
            error = {"type": "api_error", "message": "An unknown error occurred."}
            if fault["status"] == 402:
                error = {"type": "card_error", "code": "card_declined",
                         "decline_code": "generic_decline",
                         "message": "Your card was declined."}
            elif fault["status"] < 500:
                error = {"type": "invalid_request_error", "message": "The request failed."}
            return handler.reply(fault["status"], json.dumps({"error": error}).encode(),
                                 headers=headers)
        status, body, extra = self._api(handler, method, path, url.query, raw, request)
        request["status"] = status
        headers.update(extra)
        if fault and fault["mode"] == "drop_after":
            request["status"] = "dropped after"
            return handler.drop()
        return handler.reply(status, json.dumps(body, ensure_ascii=False).encode(),
                             headers=headers)

    def _fault_for(self, method, path):
        for fault in self._faults:
            if fault["left"] and fault["method"] == method and path.startswith(fault["path"]):
                fault["left"] -= 1
                return fault
        return None

    def _authorized(self, handler) -> bool:
        header = handler.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(value.strip()).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        else:
            raise StripeError(401, "You did not provide an API key. You need to provide your "
                              "API key in the Authorization header, using Bearer auth (e.g. "
                              "'Authorization: Bearer YOUR_SECRET_KEY').")
        if not hmac.compare_digest(key.encode(), self.secret_key.encode()):
            shown = f"{key[:8]}{'*' * 4}{key[-4:]}" if len(key) > 12 else key
            raise StripeError(401, f"Invalid API Key provided: {shown}")
        return True

    def _api(self, handler, method, path, query, raw, request):
        try:
            self._authorized(handler)
            params = decode_form(raw if method == "POST" else query)
        except StripeError as error:
            return error.status, error.body, {}
        key = request["idempotency_key"] if method == "POST" else None
        with self._lock:
            if key:
                saved = self._saved.get(key)
                if saved is not None:
                    if (saved["method"], saved["path"]) != (method, path):
                        error = StripeError(
                            400, "Keys for idempotent requests can only be used for the same "
                            f"endpoint they were first used for ('{saved['path']}' vs "
                            f"'{path}'). Try using a key other than '{key}' if you meant to "
                            "execute a different request.", type="idempotency_error")
                        return error.status, error.body, {}
                    if saved["params"] != params:
                        error = StripeError(
                            400, "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type="idempotency_error")
                        return error.status, error.body, {}
                    request["replayed"] = True
                    return saved["status"], saved["body"], {
                        "Idempotent-Replayed": "true", "Original-Request": saved["request"],
                        "Idempotency-Key": key}
            try:
                status, body = 200, self._route(method, path, copy.deepcopy(params), request)
            except StripeError as error:
                status, body = error.status, error.body
                if not error.saved:
                    return status, body, {}
            if key:
                self._saved[key] = {"method": method, "path": path, "params": params,
                                    "status": status, "body": copy.deepcopy(body),
                                    "request": request["id"]}
                return status, body, {"Idempotency-Key": key}
            return status, body, {}

    def _route(self, method, path, params, request):
        parts = path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")
        parts = parts[1:]
        expand = params.pop("expand", None)
        if expand is not None and not isinstance(expand, list):
            raise _invalid("Invalid array", param="expand")
        routes = {
            ("POST", "checkout", "sessions"): self._session_create,
            ("GET", "checkout", "sessions", "*"): self._session_get,
            ("POST", "checkout", "sessions", "*", "expire"): self._session_expire,
            ("GET", "payment_intents", "*"): self._intent_get,
            ("POST", "payment_intents", "*", "capture"): self._intent_capture,
            ("POST", "payment_intents", "*", "cancel"): self._intent_cancel,
            ("POST", "refunds"): self._refund_create,
            ("GET", "refunds", "*"): self._refund_get,
        }
        for pattern, view in routes.items():
            if pattern[0] == method and len(pattern) - 1 == len(parts) and all(
                    want in ("*", got) for want, got in zip(pattern[1:], parts, strict=True)):
                ids = [got for want, got in zip(pattern[1:], parts, strict=True)
                       if want == "*"]
                obj = view(params, request, *ids)
                return self._expanded(obj, expand or [])
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _expanded(self, obj, expand):
        obj = self._public(obj)
        for name in expand:
            if name == "payment_intent" and obj.get("payment_intent"):
                obj["payment_intent"] = self._public(
                    self.payment_intents[obj["payment_intent"]])
            elif name == "latest_charge" and obj.get("latest_charge"):
                obj["latest_charge"] = self._public(self.charges[obj["latest_charge"]])
            elif name not in ("payment_intent", "latest_charge"):
                raise _invalid(f"This property cannot be expanded ({name}).", param="expand")
        return obj

    # --- endpoints -----------------------------------------------------------------------

    def _session_create(self, params, request):
        _only(params, {"mode", "line_items", "payment_intent_data", "metadata",
                       "success_url", "cancel_url", "client_reference_id", "customer_email",
                       "locale", "expires_at", "payment_method_types", "submit_type",
                       "ui_mode", "currency"})
        mode = params.get("mode")
        if not mode:
            raise _invalid("Missing required param: mode.", param="mode",
                           code="parameter_missing")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid("Invalid mode: must be one of payment, setup, or subscription",
                           param="mode")
        if mode != "payment":
            raise _invalid("This fake only knows mode=payment.", param="mode")
        if not params.get("success_url"):
            raise _invalid("Missing required param: success_url.", param="success_url",
                           code="parameter_missing")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise _invalid("Missing required param: line_items.", param="line_items",
                           code="parameter_missing")
        currency, total = None, 0
        for index, item in enumerate(items):
            name = f"line_items[{index}]"
            if not isinstance(item, dict):
                raise _invalid("Invalid hash", param=name)
            _only(item, {"price_data", "quantity", "price"}, name)
            price = item.get("price_data")
            if not isinstance(price, dict):
                raise _invalid("You must specify either `price` or `price_data`.",
                               param=f"{name}[price_data]")
            _only(price, {"currency", "unit_amount", "product_data", "product"},
                  f"{name}[price_data]")
            item_currency = (price.get("currency") or "").lower()
            if not re.fullmatch(r"[a-z]{3}", item_currency):
                raise _invalid(f"Invalid currency: {price.get('currency')}",
                               param=f"{name}[price_data][currency]")
            product = price.get("product_data")
            if not price.get("product") and not (isinstance(product, dict) and
                                                 product.get("name")):
                raise _invalid("Missing required param: line_items[0][price_data]"
                               "[product_data][name].",
                               param=f"{name}[price_data][product_data][name]",
                               code="parameter_missing")
            amount = _int(price, "unit_amount", required=True, minimum=0,
                          param=f"{name}[price_data][unit_amount]")
            quantity = _int(item, "quantity", required=True, minimum=1,
                            param=f"{name}[quantity]")
            if currency and item_currency != currency:
                raise _invalid("All line items must use the same currency.",
                               param=f"{name}[price_data][currency]")
            currency = item_currency
            total += amount * quantity
        minimum = MINIMUM_AMOUNT.get(currency, 50)
        if total < minimum:
            raise _invalid(f"The Checkout Session's total amount due must add up to at least "
                           f"{minimum} {currency}.", param="line_items")
        if currency == "jpy" and total > 99_999_999:
            raise _invalid("Amount must be no more than ¥99,999,999", param="line_items",
                           code="amount_too_large")
        data = params.get("payment_intent_data") or {}
        if not isinstance(data, dict):
            raise _invalid("Invalid hash", param="payment_intent_data")
        _only(data, {"capture_method", "metadata", "description", "receipt_email",
                     "statement_descriptor"}, "payment_intent_data")
        capture = data.get("capture_method") or "automatic_async"
        if capture not in ("automatic", "automatic_async", "manual"):
            raise _invalid("Invalid payment_intent_data[capture_method]: must be one of "
                           "automatic, automatic_async, or manual",
                           param="payment_intent_data[capture_method]")
        reference = params.get("client_reference_id")
        if reference is not None and not 1 <= len(reference) <= 200:
            raise _invalid("client_reference_id is up to 200 characters.",
                           param="client_reference_id")
        now = int(time.time())
        expires_at = _int(params, "expires_at") or now + 24 * 3600
        session_id = f"cs_test_{secrets.token_hex(24)}"
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment",
            "status": "open", "payment_status": "unpaid", "currency": currency,
            "amount_subtotal": total, "amount_total": total,
            "client_reference_id": reference, "metadata": _metadata(params),
            "payment_intent": None, "customer": None,
            "customer_email": params.get("customer_email"),
            "success_url": params["success_url"], "cancel_url": params.get("cancel_url"),
            "url": f"{self.api_base}/pay/{session_id}", "ui_mode": "hosted",
            "payment_method_types": ["card"], "created": now, "expires_at": expires_at,
            "livemode": False, "locale": params.get("locale"),
            "_payment_intent_data": {
                "capture_method": capture,
                "metadata": _metadata(data),
                "description": data.get("description")},
        }
        self.sessions[session_id] = session
        self.created["checkout.session"] += 1
        return session

    def _session(self, session_id):
        session = self.sessions.get(session_id)
        if session is None:
            raise _missing("checkout.session", session_id, param="session")
        return session

    def _session_get(self, params, request, session_id):
        _only(params, set())
        return self._session(session_id)

    def _session_expire(self, params, request, session_id):
        _only(params, set())
        return self._expire(self._session(session_id), request)

    def _intent(self, intent_id):
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise _missing("payment_intent", intent_id, param="intent")
        return intent

    def _intent_get(self, params, request, intent_id):
        _only(params, {"client_secret"})
        return self._intent(intent_id)

    def _unexpected_state(self, intent, action, allowed):
        return StripeError(
            400, f"This PaymentIntent could not be {action} because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
            f"be {action}: {', '.join(allowed)}.", code="payment_intent_unexpected_state",
            saved=True, extra={"payment_intent": self._public(intent)})

    def _intent_capture(self, params, request, intent_id):
        _only(params, {"amount_to_capture", "metadata", "description"})
        intent = self._intent(intent_id)
        amount = _int(params, "amount_to_capture", minimum=1)
        if intent["status"] != "requires_capture":
            raise self._unexpected_state(intent, "captured", ["requires_capture"])
        amount = intent["amount_capturable"] if amount is None else amount
        if amount > intent["amount_capturable"]:
            raise StripeError(400, "The amount to capture is more than the amount capturable.",
                              code="amount_too_large", param="amount_to_capture", saved=True)
        charge = self.charges[intent["latest_charge"]]
        charge.update(captured=True, amount_captured=amount)
        if amount < intent["amount"]:  # the rest is released
            charge["amount_refunded"] = intent["amount"] - amount
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self._emit("payment_intent.succeeded", intent, request=request)
        return intent

    def _intent_cancel(self, params, request, intent_id):
        _only(params, {"cancellation_reason"})
        intent = self._intent(intent_id)
        reason = params.get("cancellation_reason")
        if reason not in (None, "duplicate", "fraudulent", "requested_by_customer",
                          "abandoned"):
            raise _invalid("Invalid cancellation_reason", param="cancellation_reason")
        session = self.sessions.get(intent.get("_session"))
        if session is not None and session["status"] == "open":
            raise StripeError(400, "You cannot cancel this PaymentIntent because it was "
                              "created by Checkout. To cancel it, expire the Checkout Session "
                              "instead.", saved=True)
        allowed = ["requires_payment_method", "requires_capture", "requires_confirmation",
                   "requires_action", "processing"]
        if intent["status"] not in allowed:
            raise self._unexpected_state(intent, "canceled", allowed)
        intent.update(status="canceled", cancellation_reason=reason,
                      canceled_at=int(time.time()), amount_capturable=0)
        self._emit("payment_intent.canceled", intent, request=request)
        return intent

    def _refund_create(self, params, request):
        _only(params, {"payment_intent", "charge", "amount", "metadata", "reason"})
        metadata = _metadata(params)
        reason = params.get("reason")
        if reason not in (None, "duplicate", "fraudulent", "requested_by_customer"):
            raise _invalid("Invalid reason: must be one of duplicate, fraudulent, or "
                           "requested_by_customer", param="reason")
        if params.get("payment_intent"):
            intent = self._intent(params["payment_intent"])
            charge = self.charges.get(intent["latest_charge"] or "")
        elif params.get("charge"):
            charge = self.charges.get(params["charge"])
            if charge is None:
                raise _missing("charge", params["charge"], param="charge")
            intent = self.payment_intents[charge["payment_intent"]]
        else:
            raise _invalid("One of the following params should be provided for this request: "
                           "payment_intent or charge.", param="payment_intent",
                           code="parameter_missing")
        if charge is None or intent["status"] != "succeeded" or not charge["captured"]:
            raise StripeError(400, f"This PaymentIntent ({intent['id']}) does not have a "
                              "successful charge to refund.", param="payment_intent",
                              saved=True)
        left = charge["amount_captured"] - charge["amount_refunded"]
        if left <= 0:
            raise StripeError(400, f"Charge {charge['id']} has already been refunded.",
                              code="charge_already_refunded", saved=True)
        amount = _int(params, "amount", minimum=1)
        amount = left if amount is None else amount
        if amount > left:
            raise StripeError(400, f"Refund amount ({self._money(amount, charge)}) is greater "
                              f"than unrefunded amount on charge "
                              f"({self._money(left, charge)})", code="amount_too_large",
                              param="amount", saved=True)
        refund = {"id": _new_id("re"), "object": "refund", "amount": amount,
                  "currency": charge["currency"], "charge": charge["id"],
                  "payment_intent": intent["id"], "metadata": metadata, "reason": reason,
                  "status": self.refund_status, "created": int(time.time()),
                  "failure_reason": None}
        self.refunds[refund["id"]] = refund
        self.created["refund"] += 1
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self._emit("refund.created", refund, request=request)
        if refund["status"] == "succeeded":
            self._emit("charge.refunded", charge, request=request)
        return refund

    @staticmethod
    def _money(amount, charge):
        currency = charge["currency"]
        if currency == "jpy":
            return f"¥{amount:,}"
        if currency in ZERO_DECIMAL:
            return f"{amount} {currency}"
        return f"{amount / 100:.2f} {currency}"

    def _refund_get(self, params, request, refund_id):
        _only(params, set())
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise _missing("refund", refund_id, param="refund")
        return refund

    # --- the hosted page -----------------------------------------------------------------

    def _hosted_page(self, handler, method, session_id, raw):
        with self._lock:
            session = self.sessions.get(session_id)
        if session is None:
            return handler.reply(404, b"No such page", content_type="text/plain")
        message = ""
        if method == "POST" and session["status"] == "open":
            card = urllib.parse.parse_qs(raw).get("card", [""])[0]
            # From a browser the events go out later (flush), as Stripe sends them.
            outcome = self.pay(session_id, card, deliver=False)
            if outcome == "paid":
                target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
                return handler.reply(303, b"", content_type="text/plain",
                                     headers={"Location": target})
            message = f"<p role='alert'>{html.escape(outcome)}</p>"
        if session["status"] != "open":
            body = f"<p>This Checkout Session is {html.escape(session['status'])}.</p>"
        else:
            body = (f"{message}<form method='post'><label>Card number "
                    f"<input name='card' value='{GOOD_CARD}'></label>"
                    f"<button>Pay ¥{session['amount_total']:,}</button></form>")
        page = (f"<!doctype html><html lang='en'><title>Fake Stripe Checkout</title>"
                f"<h1>Fake Stripe Checkout</h1>{body}</html>").encode()
        return handler.reply(200, page, content_type="text/html; charset=utf-8")


# --- wiring for the project's tests --------------------------------------------------------

@contextlib.contextmanager
def serving_django(settings, *, run_on_commit):
    """Start a fake, point the project at it (STRIPE_API_BASE, test keys, "stripe" among
    PAYMENT_PROVIDERS, tasks run at once) and deliver its webhooks to the project's webhook
    view through Django's test client. `run_on_commit()` is a context manager that runs what
    the view leaves for after the commit (pytest-django's
    `django_capture_on_commit_callbacks(execute=True)`). The fake stops at the end."""
    import stripe
    from django.test import Client
    from django.urls import reverse

    fake = FakeStripe(secret_key=f"sk_test_{secrets.token_hex(12)}",
                      webhook_secret=f"whsec_{secrets.token_hex(16)}").start()
    settings.STRIPE_API_BASE = fake.api_base
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.PAYMENT_PROVIDERS = ["counter", "stripe", "sandbox"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    webhook_client, url = Client(), reverse("payments:stripe_webhook")

    def deliver(body, signature):
        extra = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
        with run_on_commit():
            response = webhook_client.post(url, body, content_type="application/json",
                                           **extra)
        return response.status_code, response.content.decode()

    fake.deliver = deliver
    # The client's own retries wait 0.5 s and more between attempts; the tests need not.
    http_client = stripe._http_client.HTTPClient
    original_sleep = http_client._sleep_time_seconds
    http_client._sleep_time_seconds = lambda self, num_retries: 0
    try:
        yield fake
    finally:
        http_client._sleep_time_seconds = original_sleep
        fake.stop()
