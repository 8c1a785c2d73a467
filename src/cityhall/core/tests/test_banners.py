"""The site-wide banner hook (core.registry.register_banner_provider): every portal page shows
what the providers return, emergencies first, in a region with a heading; a failing provider
is skipped and never takes a page down; core knows nothing of the apps that provide."""

import pytest
from django.urls import reverse

from cityhall.core import registry
from cityhall.core.registry import Banner

pytestmark = pytest.mark.django_db


@pytest.fixture
def providers(monkeypatch):
    saved = dict(registry._banner_providers)
    monkeypatch.setattr(registry, "_banner_providers", {})
    yield registry._banner_providers
    registry._banner_providers.update(saved)


def test_banners_from_providers_on_every_page(client, providers, minato):
    registry.register_banner_provider("test.info", lambda request: [
        Banner(key="b", title="お知らせ", url="/x/", level="info")])
    registry.register_banner_provider("test.emergency", lambda request: [
        Banner(key="a", title="Evacuate now", url="/y/", level="emergency", lang="en",
               note="not translated")])
    for page in ("core:home", "core:facility_list"):
        body = client.get(reverse(page)).content.decode()
        assert 'aria-labelledby="site-banners-title"' in body
        assert body.index("Evacuate now") < body.index("お知らせ")
        assert '<a href="/y/" lang="en">Evacuate now</a>' in body
        assert "(not translated)" in body


def test_no_banner_no_region(client, providers, minato):
    assert "site-banners" not in client.get(reverse("core:home")).content.decode()


def test_a_failing_provider_is_skipped(client, providers, minato):
    def broken(request):
        raise RuntimeError("database down")

    registry.register_banner_provider("test.broken", broken)
    registry.register_banner_provider("test.ok", lambda request: [Banner(key="c",
                                                                         title="Still here")])
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert "Still here" in response.content.decode()
