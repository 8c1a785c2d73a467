"""Fixed-window request counters in the cache, shared by every app that limits how often one
client may do something (reports, opinions, chatbot questions, Open311 calls).

The counter lives in Django's cache: Redis when REDIS_URL is set, so a limit holds across web
nodes (`cache.add` and `cache.incr` are atomic there and in the local-memory cache). Keys name
a client, never a person: the client value (an address, a session key, a LINE user id) is
hashed with the secret key, so nothing personal sits in the cache in clear.
"""

import contextlib
import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Window:
    key: str
    ends_at: float  # epoch seconds


def window(scope: str, client: str, *, seconds: int, now: float | None = None) -> Window:
    """The counter of `client` in the current window of `seconds` for `scope`."""
    now = time.time() if now is None else now
    index = int(now // seconds)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{client}".encode()).hexdigest()
    return Window(key=f"rate:{scope}:{digest[:32]}:{index}", ends_at=(index + 1) * seconds)


def hit(scope: str, client: str, *, seconds: int, now: float | None = None) -> int:
    """Count one more use in the current window; returns the count including this one."""
    counter = window(scope, client or "unknown", seconds=seconds, now=now)
    cache.add(counter.key, 0, timeout=seconds + 60)
    try:
        return cache.incr(counter.key)
    except ValueError:  # the entry expired between add and incr
        cache.add(counter.key, 1, timeout=seconds + 60)
        return 1


def used(scope: str, client: str, *, seconds: int, now: float | None = None) -> int:
    """How many uses the current window holds, without counting one."""
    return int(cache.get(window(scope, client or "unknown", seconds=seconds, now=now).key, 0))


def give_back(scope: str, client: str, *, seconds: int, now: float | None = None) -> None:
    """Undo one `hit` (a submission refused after it was counted)."""
    with contextlib.suppress(ValueError):  # the entry expired: nothing to give back
        cache.decr(window(scope, client or "unknown", seconds=seconds, now=now).key)
