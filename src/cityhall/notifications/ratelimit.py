"""Per-channel send rate limits shared by every worker (取組12: sending within what each
provider accepts, e.g. LINE answers 429 past its per-channel rate).

A token bucket kept in the Django cache (Redis when REDIS_URL is set, so the limit holds across
machines): each channel gets `rate` tokens per second. The bucket is kept as one counter per
one-second window (`cache.incr` is atomic on Redis and in the local memory cache), which is a
bucket refilled to `rate` at the start of every second, with no read-modify-write race.
"""

import time

from django.conf import settings
from django.core.cache import cache


def rate_for(channel_code: str) -> int:
    return int(settings.NOTIFICATIONS_RATE_LIMITS.get(channel_code, 0))


def take(channel_code: str, tokens: int = 1, *, now=None) -> bool:
    """Take `tokens` from the channel's bucket for this second; False when it is empty."""
    rate = rate_for(channel_code)
    if rate <= 0:  # no limit configured
        return True
    window = int(now if now is not None else time.time())
    key = f"notifications:rate:{channel_code}:{window}"
    cache.add(key, 0, timeout=5)
    try:
        used = cache.incr(key, tokens)
    except ValueError:  # the key expired between add and incr
        cache.add(key, tokens, timeout=5)
        used = tokens
    return used <= rate or (tokens > rate and used == tokens)


def acquire(channel_code: str, tokens: int = 1, *, sleep=time.sleep, clock=time.time,
            max_wait_seconds: float = 60.0) -> bool:
    """Wait until the bucket has `tokens` (a request of a whole LINE batch counts once)."""
    waited = 0.0
    while not take(channel_code, tokens, now=clock()):
        pause = 1.0 - (clock() % 1.0) + 0.001
        if waited + pause > max_wait_seconds:
            return False
        sleep(pause)
        waited += pause
    return True
