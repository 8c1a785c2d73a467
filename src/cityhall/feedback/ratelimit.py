"""How many opinions one client may send (取組11): a fixed one-hour window per key kept in the
Django cache (Redis when REDIS_URL is set, so the limit holds across web nodes; `cache.add` and
`cache.incr` are atomic there and in the local-memory cache).

Keys name the client, never a person: a hash of the address, the session key or the LINE user
id, so nothing personal sits in the cache in clear.
"""

from django.conf import settings

from cityhall.core import ratelimit

WINDOW_SECONDS = 3600


def take(keys: list[tuple[str, str]], *, now: float | None = None) -> bool:
    """Count one submission against every key; False (over the limit) if any key is full.
    Empty values (no session yet, no address) are skipped."""
    limit = settings.FEEDBACK_RATE_LIMIT_PER_HOUR
    if limit <= 0:
        return True
    allowed = True
    for kind, value in keys:
        if value and ratelimit.hit(f"feedback.{kind}", value, seconds=WINDOW_SECONDS,
                                   now=now) > limit:
            allowed = False
    return allowed
