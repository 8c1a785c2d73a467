"""Public pages and error pages render in Japanese and English, and say which in <html lang>."""

import re

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import translation

from cityhall.core import views
from cityhall.core.models import Facility

pytestmark = pytest.mark.django_db

LANGUAGES = ["ja", "en"]


def html_lang(response) -> str | None:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", response.content.decode())
    return match.group(1) if match else None


@pytest.fixture
def shelter(minato):
    return Facility.objects.filter(kind=Facility.Kind.SHELTER).order_by("code").first()


def public_paths(shelter):
    return ["/", "/facilities/", "/facilities/?kind=shelter", f"/facilities/{shelter.code}/",
            "/accounts/login/", "/accounts/signup/"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("index", range(6))
def test_public_page_renders_in_the_language_asked_for_by_the_browser(client, shelter, language,
                                                                      index):
    path = public_paths(shelter)[index]
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert html_lang(response) == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_cookie_wins_over_the_browser(client, shelter, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    other = "en" if language == "ja" else "ja"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=other)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert html_lang(response) == language


def test_japanese_is_the_default(client, minato):
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "ja"


def test_facility_detail_shows_the_facility(client, shelter):
    response = client.get(f"/facilities/{shelter.code}/")
    assert response.context["facility"] == shelter
    assert shelter.name in response.content.decode()


def test_facility_list_filters_by_kind_and_refuses_bad_filters(client, minato):
    response = client.get("/facilities/", {"kind": "evacuation_site"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 61
    # A page number that is not one falls back to the first page.
    response = client.get("/facilities/", {"kind": "shelter", "page": "nope"})
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert response.context["page"].paginator.count == 83
    # An unknown kind is bad input: 400 with the form's error, and the unfiltered list.
    response = client.get("/facilities/", {"kind": "bogus"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors
    assert response.context["page"].paginator.count == Facility.objects.count()


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_facility_is_404_in_both_languages(client, minato, language):
    response = client.get("/facilities/NOPE/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert html_lang(response) == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_page_is_404_in_both_languages(client, minato, language):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert html_lang(response) == language


@pytest.mark.urls("cityhall.core.tests.urls_for_tests")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("path", "status"), [
    ("/test-errors/400/", 400), ("/test-errors/403/", 403), ("/test-errors/404/", 404),
    ("/test-errors/500/", 500), ("/test-errors/cityhall-400/", 400),
    ("/test-errors/cityhall-403/", 403), ("/test-errors/cityhall-404/", 404)])
def test_error_handlers_render_their_pages(client, minato, path, status, language):
    client.raise_request_exception = False
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert html_lang(response) == language
    content = response.content.decode()
    assert "Traceback" not in content
    assert "boom" not in content


@pytest.mark.parametrize("language", LANGUAGES)
def test_server_error_page_renders_without_context(language):
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        response = views.server_error(request)
    assert response.status_code == 500
    assert html_lang(response) == language


@pytest.mark.parametrize(("handler", "status"), [
    (views.bad_request, 400), (views.permission_denied, 403), (views.page_not_found, 404)])
def test_error_handlers_called_directly(rf, handler, status):
    request = rf.get("/")
    with translation.override("en"):
        response = handler(request, exception=Exception("x"))
    assert response.status_code == status
    assert html_lang(response) == "en"


def test_switching_language_sets_the_cookie(client, minato):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/facilities/"})
    assert response.status_code == 302
    assert response["Location"] == "/facilities/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert html_lang(client.get("/facilities/")) == "en"


def test_home_links_each_branch_area_and_every_link_works(client, minato):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "branch_office=main" not in page  # the main city hall serves no town of its own
    for code in ("shiba", "azabu", "akasaka", "takanawa", "shibaura-konan"):
        assert f"branch_office={code}" in page
        response = client.get("/facilities/", {"branch_office": code})
        assert response.status_code == 200
        assert response.context["page"].paginator.count > 0
    assert client.get("/facilities/", {"branch_office": "main"}).status_code == 400
