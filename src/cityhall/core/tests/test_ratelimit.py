"""The shared fixed-window counters (`core.ratelimit`)."""

from django.core.cache import cache

from cityhall.core import ratelimit


def test_counts_per_scope_client_and_window_and_gives_back():
    assert ratelimit.hit("a", "203.0.113.5", seconds=60, now=120.0) == 1
    assert ratelimit.hit("a", "203.0.113.5", seconds=60, now=150.0) == 2
    assert ratelimit.used("a", "203.0.113.5", seconds=60, now=179.9) == 2
    assert ratelimit.hit("a", "203.0.113.5", seconds=60, now=180.0) == 1  # a new window
    assert ratelimit.hit("b", "203.0.113.5", seconds=60, now=150.0) == 1  # another scope
    assert ratelimit.hit("a", "198.51.100.7", seconds=60, now=150.0) == 1  # another client
    ratelimit.give_back("a", "203.0.113.5", seconds=60, now=150.0)
    assert ratelimit.used("a", "203.0.113.5", seconds=60, now=150.0) == 1
    assert ratelimit.window("a", "x", seconds=60, now=150.0).ends_at == 180.0


def test_the_cache_never_holds_the_client_in_clear():
    ratelimit.hit("a", "203.0.113.5", seconds=60, now=150.0)
    key = ratelimit.window("a", "203.0.113.5", seconds=60, now=150.0).key
    assert "203.0.113.5" not in key
    assert cache.get(key) == 1
