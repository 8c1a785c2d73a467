"""How many opinions one client may send (取組11): a fixed one-hour window per key kept in the
Django cache (Redis when REDIS_URL is set, so the limit holds across web nodes; `cache.add` and
`cache.incr` are atomic there and in the local-memory cache).

Keys name the client, never a person: a hash of the address, the session key or the LINE user
id, so nothing personal sits in the cache in clear.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 3600


def _key(kind: str, value: str, window: int) -> str:
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:32]
    return f"feedback:rate:{digest}:{window}"


def take(keys: list[tuple[str, str]], *, now: float | None = None) -> bool:
    """Count one submission against every key; False (over the limit) if any key is full.
    Empty values (no session yet, no address) are skipped."""
    limit = settings.FEEDBACK_RATE_LIMIT_PER_HOUR
    if limit <= 0:
        return True
    window = int((now if now is not None else time.time()) // WINDOW_SECONDS)
    allowed = True
    for kind, value in keys:
        if not value:
            continue
        key = _key(kind, value, window)
        cache.add(key, 0, timeout=WINDOW_SECONDS + 60)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=WINDOW_SECONDS + 60)
            used = 1
        if used > limit:
            allowed = False
    return allowed
