"""/healthz for load balancers: 200 when everything the portal needs answers, 503 when not."""

import pytest

from cityhall.core import health

pytestmark = pytest.mark.django_db


def test_healthz_is_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "task_queue"}
    for name in ("database", "cache", "task_queue"):
        assert body["checks"][name]["status"] == "ok"
    assert body["checks"]["database"]["vendor"] in {"sqlite", "postgresql"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_needs_no_sign_in_and_no_second_factor(client, shiba_clerk, staff_persona):
    client.force_login(staff_persona("azabu_clerk", mfa=False))
    assert client.get("/healthz").status_code == 200


def _broken():
    raise RuntimeError("connection refused")


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", _broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "down"
    assert body["checks"]["database"]["error"] == "RuntimeError"
    assert body["checks"]["cache"]["status"] == "ok"
    # The error's text (which may name hosts or credentials) is not shown.
    assert "connection refused" not in response.content.decode()


def test_healthz_is_503_when_the_cache_fails(client, monkeypatch):
    monkeypatch.setattr(health, "check_cache", _broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["cache"] == {"status": "down", "ms": body["checks"]["cache"]["ms"],
                                       "error": "RuntimeError"}
    assert body["checks"]["database"]["status"] == "ok"


def test_healthz_is_503_when_the_cache_returns_nothing(client, monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda key, default=None: None)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["status"] == "down"


def test_healthz_is_503_when_the_task_queue_fails(client, monkeypatch):
    monkeypatch.setattr(health, "check_task_queue", _broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["task_queue"]["status"] == "down"
