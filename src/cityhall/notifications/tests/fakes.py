"""Local fake servers that follow the real APIs, for the LINE and Web Push adapters' tests.

FakeLine follows messaging-api.yml: `POST /v2/bot/message/multicast` with `Authorization:
Bearer <token>`, 1..500 user ids in `to`, 1..5 messages, an optional `X-Line-Retry-Key` (a UUID):
a key already accepted answers 409 with `x-line-accepted-request-id`, as api.line.me does.
FakePush follows RFC 8030/8291/8292: `TTL` required, `Content-Encoding: aes128gcm`,
`Authorization: vapid t=<JWT>,k=<key>` whose ES256 signature, `aud`, `exp` and `sub` are checked;
the body is decrypted with the browser's key; each endpoint answers 201, 404, 410 or 429.
"""

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _Server:
    def __init__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, headers, payload = owner.handle(self.path, self.headers, body)
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeLine(_Server):
    def __init__(self, token="test-access-token"):  # noqa: S107
        super().__init__()
        self.token = token
        self.requests = []  # every multicast request received: (retry key, body, status)
        self.accepted = {}  # retry key -> request id
        self.delivered = []  # (user id, text) per accepted recipient
        self.replies = []
        # Statuses to answer the next multicasts with; "accept-then-500" accepts the request
        # (delivers it) but answers 500, like a timeout after LINE took it.
        self.script = []

    def error(self, status, message, details=None):
        body = {"message": message}
        if details:
            body["details"] = details
        return status, {}, body

    def handle(self, path, headers, raw):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return self.error(401, "Authentication failed. Confirm that the access token in "
                                   "the authorization header is valid.")
        try:
            body = json.loads(raw)
        except ValueError:
            return self.error(400, "The request body could not be parsed as JSON")
        if path == "/v2/bot/message/reply":
            with self.lock:
                self.replies.append(body)
            return 200, {}, {"sentMessages": [{"id": "1"}]}
        if path != "/v2/bot/message/multicast":
            return self.error(404, "Not found")
        to, messages = body.get("to"), body.get("messages")
        if not isinstance(to, list) or not 1 <= len(to) <= 500:
            return self.error(400, "The request body has 1 error(s)",
                              [{"message": "Size must be between 1 and 500", "property": "to"}])
        if any(not re.fullmatch(r"U[0-9a-f]{32}", user) for user in to):
            return self.error(400, "The request body has 1 error(s)",
                              [{"message": "Invalid user ID", "property": "to"}])
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return self.error(400, "The request body has 1 error(s)",
                              [{"message": "Size must be between 1 and 5",
                                "property": "messages"}])
        key = headers.get("X-Line-Retry-Key")
        with self.lock:
            if key is not None:
                try:
                    uuid.UUID(key)
                except ValueError:
                    return self.error(400, "The retry key is invalid")
                if key in self.accepted:
                    self.requests.append((key, body, 409))
                    return (409, {"x-line-accepted-request-id": self.accepted[key]},
                            {"message": "The retry key is already accepted",
                             "sentMessages": [{"id": "1"}]})
            step = self.script.pop(0) if self.script else 200
            if isinstance(step, int) and step != 200:
                self.requests.append((key, body, step))
                return self.error(step, "Fake failure")
            request_id = str(uuid.uuid4())
            if key is not None:
                self.accepted[key] = request_id
            for user in to:
                self.delivered.append((user, messages[0].get("text", "")))
            self.requests.append((key, body, 500 if step == "accept-then-500" else 200))
        if step == "accept-then-500":
            return self.error(500, "Internal server error")
        return 200, {"x-line-request-id": request_id}, {}


VAPID_AUTH = re.compile(r"^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), ?k=([\w-]+)$")


class FakePush(_Server):
    def __init__(self, vapid_public_key: str):
        super().__init__()
        self.vapid_public_key = vapid_public_key
        self.browsers = {}  # id -> (private key, auth secret)
        self.answers = {}  # id -> status to answer (201 by default)
        self.received = []  # (id, headers, decrypted payload) of accepted pushes
        self.refused = []  # (id, status, reason)

    def browser(self, answer=201) -> dict:
        """A new browser subscription (PushSubscription.toJSON()) at this push service."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = uuid.uuid4().bytes
        ident = uuid.uuid4().hex
        self.browsers[ident] = (key, auth)
        self.answers[ident] = answer
        public = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.url}/push/{ident}", "expirationTime": None,
                "keys": {"p256dh": b64e(public), "auth": b64e(auth)}}

    def refuse(self, ident, status, reason):
        with self.lock:
            self.refused.append((ident, status, reason))
        return status, {}, {"reason": reason}

    def handle(self, path, headers, raw):
        ident = path.rsplit("/", 1)[-1]
        if ident not in self.browsers:
            return self.refuse(ident, 404, "NotFound")
        if not (headers.get("TTL") or "").isdigit():
            return self.refuse(ident, 400, "TTL header missing")
        if headers.get("Content-Encoding") != "aes128gcm":
            return self.refuse(ident, 400, "Content-Encoding must be aes128gcm")
        match = VAPID_AUTH.match(headers.get("Authorization") or "")
        if not match:
            return self.refuse(ident, 401, "BadAuthorizationHeader")
        head, claims_b64, signature, k = match.groups()
        if k != self.vapid_public_key:
            return self.refuse(ident, 403, "BadJwtToken: key mismatch")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
        raw_signature = b64d(signature)
        der = utils.encode_dss_signature(int.from_bytes(raw_signature[:32], "big"),
                                         int.from_bytes(raw_signature[32:], "big"))
        try:
            public.verify(der, f"{head}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return self.refuse(ident, 403, "BadJwtToken: signature")
        header, claims = json.loads(b64d(head)), json.loads(b64d(claims_b64))
        now = time.time()
        if header.get("alg") != "ES256":
            return self.refuse(ident, 403, "BadJwtToken: alg")
        if claims.get("aud") != self.url:
            return self.refuse(ident, 403, "BadJwtToken: aud")
        if not now < claims.get("exp", 0) <= now + 86400:
            return self.refuse(ident, 403, "BadJwtToken: exp")
        sub = claims.get("sub", "")
        if not sub.startswith(("mailto:", "https://")) or sub.endswith("@localhost"):
            return self.refuse(ident, 403, "BadJwtToken: sub")
        if len(raw) < 21 or raw[20] != 65:
            return self.refuse(ident, 400, "bad aes128gcm header")
        key, auth = self.browsers[ident]
        try:
            plain = http_ece.decrypt(raw, private_key=key, auth_secret=auth,
                                     version="aes128gcm")
        except Exception:
            return self.refuse(ident, 400, "decryption failed")
        answer = self.answers[ident]
        if answer != 201:
            return self.refuse(ident, answer, "answer")
        with self.lock:
            self.received.append((ident, {k.lower(): v for k, v in headers.items()},
                                  json.loads(plain)))
        return 201, {"Location": f"{self.url}/message/{uuid.uuid4().hex}"}, None
