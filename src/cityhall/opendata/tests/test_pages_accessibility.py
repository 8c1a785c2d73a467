"""The catalogue's pages in a real browser (取組27): axe-core finds no WCAG 2.2 A/AA violation
on the dataset search (with a filter chosen and with a bad parameter), a dataset's page, the
preview of a CSV and of a GeoJSON resource (with its map), and the back office's dataset
form (empty and with errors), the API token page and the 5G base-station page, on a
phone-sized screen; the search and its facets work without
JavaScript. Few page loads on purpose: each costs seconds.

Skipped without Debian's chromium and node_modules/axe-core unless CITYHALL_REQUIRE_BROWSER
is set (see cityhall.core.tests.test_accessibility)."""

import json
import os

import pytest
from django.urls import reverse

from cityhall.core.tests.test_accessibility import (  # noqa: F401 - shared fixtures
    _axe_violations,
    _format_violations,
    _new_page,
    _signed_in_context,
    browser,
    demo_site,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [139.7497, 35.6554]},
     "properties": {"名称": "芝公園", "収容人数": 300}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [139.7245, 35.6517]},
     "properties": {"名称": "有栖川宮記念公園", "収容人数": 500}},
]}


@pytest.fixture
def catalogue(demo_site):  # noqa: F811
    from cityhall.opendata import services

    from .factories import csv_resource, dataset

    services.group_ensure(name="disaster", title="防災", title_en="Disaster prevention")
    shelters = dataset(name="a11y-shelters", title="指定避難所一覧",
                       title_en="Designated shelters", notes="区内の指定避難所。",
                       tags=("防災", "避難所"), groups=["disaster"], contact_name="防災課")
    csv_file = csv_resource(shelters)
    geojson = services.resource_create(actor=None, dataset=shelters, name="位置 (GeoJSON)",
                                       upload=json.dumps(GEOJSON).encode(),
                                       filename="sites.geojson")
    dataset(name="a11y-parks", title="公園一覧", tags=("公園",), organization_code="doboku")
    return {"dataset": shelters, "csv": csv_file, "geojson": geojson}


def _check(page, site, path, status=200):
    response = page.goto(site.url + path)
    assert response.status == status, f"{path}: HTTP {response.status}"
    violations = _axe_violations(page, site)
    assert not violations, f"{path}\n" + _format_violations(violations)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_public_pages_are_accessible(browser, demo_site, catalogue, language):  # noqa: F811
    name = catalogue["dataset"].name
    context, page = _new_page(browser, language=language)
    try:
        context.route("https://cyberjapandata.gsi.go.jp/**", lambda route: route.abort())
        _check(page, demo_site, reverse("opendata:dataset_list") + "?tags=防災")
        _check(page, demo_site, reverse("opendata:dataset_detail", args=[name]))
        _check(page, demo_site, reverse("opendata:resource_detail",
                                        args=[name, catalogue["csv"].pk]))
        if language == "en":
            _check(page, demo_site, reverse("opendata:dataset_list") + "?page=abc", status=400)
            page.goto(demo_site.url + reverse("opendata:resource_detail",
                                              args=[name, catalogue["geojson"].pk]))
            page.wait_for_selector("#opendata-map.leaflet-container")
            page.wait_for_selector("#opendata-map .leaflet-interactive")
            violations = _axe_violations(page, demo_site)
            assert not violations, _format_violations(violations)
    finally:
        context.close()


def test_the_staff_pages_are_accessible(browser, demo_site, catalogue):  # noqa: F811
    from cityhall.core.demo import STAFF
    from cityhall.core.models import User
    from cityhall.core.tests.factories import give_second_factor

    officer = User.objects.get(email=STAFF["opendata_officer"].email)
    give_second_factor(officer)
    context, page = _signed_in_context(browser, demo_site, officer, language="ja")
    try:
        _check(page, demo_site, reverse("opendata:staff_dataset_new"))
        page.fill("#id_name", "Bad Name")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.locator(".error-summary").count() == 1
        violations = _axe_violations(page, demo_site)
        assert not violations, _format_violations(violations)
        _check(page, demo_site, reverse("opendata:staff_tokens"))
        _check(page, demo_site, reverse("opendata:staff_base_stations"))
    finally:
        context.close()


def test_the_search_and_its_facets_work_without_javascript(browser, demo_site,  # noqa: F811
                                                           catalogue):
    context, page = _new_page(browser, language="en", javascript=False)
    try:
        page.goto(demo_site.url + reverse("opendata:dataset_list"))
        # The fixture's two datasets (the demo catalogue has other lists too).
        page.fill("#id_q", "a11y")
        with page.expect_navigation():
            page.click("form.dataset-search button[type=submit]")
        assert page.locator(".dataset-list__item").count() == 2
        page.click("details.facet:has(h3:text('Tags')) summary")
        with page.expect_navigation():
            page.click("details.facet a:has-text('公園')")
        items = page.locator(".dataset-list__item")
        assert items.count() == 1
        assert "公園一覧" in items.first.inner_text()
        assert "q=a11y" in page.url
    finally:
        context.close()
