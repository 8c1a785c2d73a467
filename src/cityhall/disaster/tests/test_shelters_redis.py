"""The shelter cache on Redis, as shared by several web nodes: an update on one node replaces
the version that every node reads, at once (without Redis each process re-reads it from the
database within VERSION_TTL). Skipped when Redis is not reachable at REDIS_TEST_URL."""

import os
import uuid

import pytest
from django.core.cache import caches

from cityhall.disaster import services
from cityhall.disaster.services.shelters import VERSION_KEY

from .shelters_fixtures import shelter

pytestmark = pytest.mark.django_db

# Database 13 with a key prefix of its own: the test never touches other data in Redis.
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] \
    + "/13"


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"test-shelters-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    yield
    for key in client.scan_iter(f":{prefix}:*"):
        client.delete(key)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_another_web_node_sees_the_update_at_once(client, redis_cache, manager, on_commit):
    other_node = caches.create_connection("default")  # a second process's own client
    first = client.get("/api/v1/shelters?open=true")
    assert first.json()["count"] == 0
    before = other_node.get(VERSION_KEY)
    assert before is not None and before["token"]
    with on_commit():
        services.shelter_status_update(facility=shelter(), actor=manager, is_open=True)
    after = other_node.get(VERSION_KEY)
    assert after["token"] != before["token"]
    assert after["modified"] is not None
    response = client.get("/api/v1/shelters?open=true", HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200
    assert response.json()["count"] == 1
