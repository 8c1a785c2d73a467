"""The public catalogue pages (取組27): the search with its facets, filters, order and pages
in Japanese and English, bad parameters as a friendly 400, a dataset's page, the organization
and theme pages, and private datasets that are "not found" for everyone but their editors."""

import pytest
from django.urls import reverse

from cityhall.opendata import services
from cityhall.opendata.models import Dataset

from .factories import csv_resource, dataset

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
LIST = "/dataset/"


@pytest.fixture
def catalogue(minato):
    services.group_ensure(name="disaster", title="防災", title_en="Disaster prevention")
    shelters = dataset(name="shelters", title="指定避難所一覧", title_en="Designated shelters",
                       notes="区内の指定避難所。", notes_en="Shelters in the ward.",
                       tags=("防災", "避難所"), groups=["disaster"])
    csv_resource(shelters)
    parks = dataset(name="parks", title="公園一覧", tags=("公園",), organization_code="doboku",
                    license_id="cc-zero")
    secret = dataset(name="secret-plan", title="非公開の計画", private=True)
    draft = dataset(name="draft-plan", title="下書きの計画", state="draft")
    return {"shelters": shelters, "parks": parks, "secret": secret, "draft": draft}


def test_the_urls_are_ckans(minato):
    assert reverse("opendata:dataset_list") == "/dataset/"
    assert reverse("opendata:dataset_detail", args=["abc"]) == "/dataset/abc"
    assert reverse("opendata:organization_list") == "/organization/"
    assert reverse("opendata:group_detail", args=["x1"]) == "/group/x1"


def test_the_list_shows_public_datasets_with_count_facets_and_formats(client, catalogue):
    response = client.get(LIST, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 datasets found." in page
    assert response.context["result"].count == 2
    # Newest change first when nothing is searched for.
    assert [d.name for d in response.context["result"].datasets] == ["parks", "shelters"]
    assert "Designated shelters" in page and "公園一覧" in page
    assert "非公開の計画" not in page and "下書きの計画" not in page
    facets = {facet["field"]: {item["name"]: item["count"] for item in facet["items"]}
              for facet in response.context["facets"]}
    assert facets["organization"] == {"disaster-management": 1, "doboku": 1}
    assert facets["tags"] == {"防災": 1, "避難所": 1, "公園": 1}
    assert facets["res_format"] == {"CSV": 1}
    assert facets["license_id"] == {"CC-BY-4.0": 1, "cc-zero": 1}
    assert facets["groups"] == {"disaster": 1}
    assert '<li class="format">CSV</li>' in page


def test_english_titles_on_english_pages(client, catalogue):
    page = client.get(LIST, **EN).content.decode()
    assert "Designated shelters" in page
    assert "Shelters in the ward." in page
    # No English title: the Japanese one, marked as Japanese.
    assert '<span lang="ja">公園一覧</span>' in page
    assert "Disaster prevention" in page  # the theme facet in English
    page = client.get(LIST, **JA).content.decode()
    assert "Designated shelters" not in page and "指定避難所一覧" in page


def test_search_and_facet_filters(client, catalogue):
    result = client.get(LIST, {"q": "避難所"}).context["result"]
    assert [d.name for d in result.datasets] == ["shelters"]
    result = client.get(LIST, {"tags": "公園"}).context["result"]
    assert [d.name for d in result.datasets] == ["parks"]
    result = client.get(LIST, {"organization": "disaster-management",
                               "res_format": "CSV"}).context["result"]
    assert [d.name for d in result.datasets] == ["shelters"]
    result = client.get(LIST, {"tags": ["防災", "公園"]}).context["result"]
    assert result.count == 0  # facets are ANDed, as in CKAN
    result = client.get(LIST, {"license_id": "cc-zero"}).context["result"]
    assert [d.name for d in result.datasets] == ["parks"]
    result = client.get(LIST, {"groups": "disaster"}).context["result"]
    assert [d.name for d in result.datasets] == ["shelters"]


def test_a_tag_with_a_space_is_quoted(client, catalogue):
    two_words = dataset(name="two-words", title="二語", tags=("open data",))
    response = client.get(LIST, {"tags": "open data"})
    assert response.status_code == 200
    assert [d.name for d in response.context["result"].datasets] == [two_words.name]


def test_facet_links_add_and_remove_a_filter(client, catalogue):
    response = client.get(LIST, {"q": "一覧", "page": "1"})
    tags = next(facet for facet in response.context["facets"] if facet["field"] == "tags")
    park = next(item for item in tags["items"] if item["name"] == "公園")
    assert park["url"] == "?q=%E4%B8%80%E8%A6%A7&tags=%E5%85%AC%E5%9C%92"
    assert not park["chosen"]
    response = client.get(LIST, {"q": "一覧", "tags": "公園"})
    tags = next(facet for facet in response.context["facets"] if facet["field"] == "tags")
    park = next(item for item in tags["items"] if item["name"] == "公園")
    assert park["chosen"] and park["url"] == "?q=%E4%B8%80%E8%A6%A7"
    page = response.content.decode()
    assert 'aria-current="true"' in page
    # The search form keeps the chosen filter.
    assert '<input type="hidden" name="tags" value="公園">' in page


def test_sort_and_paging(client, catalogue):
    for number in range(25):
        dataset(name=f"bulk-{number:02d}", title=f"統計 {number:02d}", tags=("統計",))
    first = client.get(LIST, {"tags": "統計", "sort": "name asc"}, **EN)
    assert first.status_code == 200
    names = [d.name for d in first.context["result"].datasets]
    assert names == [f"bulk-{number:02d}" for number in range(20)]
    assert "25 datasets found. Page 1 of 2." in first.content.decode()
    second = client.get(LIST, {"tags": "統計", "sort": "name asc", "page": "2"})
    assert [d.name for d in second.context["result"].datasets] == [
        f"bulk-{number:02d}" for number in range(20, 25)]
    assert 'rel="prev"' in second.content.decode()
    newest = client.get(LIST, {"tags": "統計", "sort": "metadata_created desc"})
    assert newest.context["result"].datasets[0].name == "bulk-24"


@pytest.mark.parametrize("params", [
    {"page": "abc"}, {"page": "0"}, {"page": "-1"}, {"sort": "password asc"},
    {"sort": "junk"}, {"q": "nosuchfield:1"}, {"q": 'tags:"unclosed'},
    {"tags": 'a"b'}, {"organization": ""}, {"tags": [str(n) for n in range(11)]},
    {"q": "x" * 201},
])
def test_bad_parameters_give_a_friendly_400(client, catalogue, params):
    response = client.get(LIST, params, **EN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The search could not be done" in page
    assert 'role="alert"' in page
    assert response.context["result"] is None


def test_a_page_past_the_end_is_not_found(client, catalogue):
    response = client.get(LIST, {"page": "9"}, **EN)
    assert response.status_code == 404
    assert "There is no page 9 of this search." in response.content.decode()


def test_the_dataset_page(client, catalogue):
    shelters = catalogue["shelters"]
    response = client.get(reverse("opendata:dataset_detail", args=["shelters"]), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Designated shelters</h1>" in page
    assert "https://creativecommons.org/licenses/by/4.0/" in page
    assert "Creative Commons Attribution 4.0 (CC BY 4.0)" in page
    assert "Disaster prevention" in page
    resource = shelters.resources.get()
    download = reverse("opendata:resource_download", kwargs={
        "name": "shelters", "resource_id": resource.pk,
        "filename": resource.file.name.rsplit("/", 1)[-1]})
    assert f'href="{download}"' in page
    assert f'href="{download}?encoding=utf-8-bom"' in page
    assert f'href="{download}?encoding=shift_jis"' in page
    assert "UTF-8 (with BOM, for Excel)" in page and "Shift_JIS" in page
    assert "Edit this dataset" not in page
    ja = client.get(reverse("opendata:dataset_detail", args=["shelters"]), **JA)
    assert "<h1>指定避難所一覧</h1>" in ja.content.decode()


def test_the_dataset_page_of_a_withdrawn_dataset_is_not_found(client, catalogue):
    services.dataset_delete(actor=None, dataset=catalogue["parks"])
    assert client.get("/dataset/parks").status_code == 404
    assert client.get(LIST).context["result"].count == 1


def _private_urls(catalogue):
    secret = catalogue["secret"]
    resource = csv_resource(secret)
    return [reverse("opendata:dataset_detail", args=[secret.name]),
            reverse("opendata:resource_detail", args=[secret.name, resource.pk]),
            reverse("opendata:resource_download", kwargs={
                "name": secret.name, "resource_id": resource.pk, "filename": "x.csv"}),
            reverse("opendata:dataset_detail", args=[catalogue["draft"].name])]


def test_private_and_draft_datasets_are_not_found_for_outsiders(client, catalogue, hanako,
                                                                 clerk, officer):
    from .factories import opendata_staff

    urls = _private_urls(catalogue)
    parks_editor = opendata_staff(roles=("opendata_department_editor",), department="doboku",
                                  email="doboku.od@test.cityhall.example")
    for user in (None, hanako.user, clerk, parks_editor):
        client.logout()
        if user is not None:
            client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        page = client.get(LIST).content.decode()
        assert "非公開の計画" not in page and "下書きの計画" not in page
        org_page = client.get("/organization/disaster-management").content.decode()
        assert "非公開の計画" not in org_page


def test_private_datasets_are_seen_by_their_editors(client, catalogue, disaster_editor,
                                                    officer):
    urls = _private_urls(catalogue)
    for user in (disaster_editor, officer):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
        page = client.get(reverse("opendata:dataset_detail", args=["secret-plan"]),
                          **EN).content.decode()
        assert "This dataset is private: only its editors see it." in page
        assert "Edit this dataset" in page
        # The search shows private datasets to their editors (as CKAN's does), not drafts.
        names = {d.name for d in client.get(LIST).context["result"].datasets}
        assert names == {"shelters", "parks", "secret-plan"}


def test_organization_and_group_pages(client, catalogue):
    response = client.get("/organization/", **EN)
    assert response.status_code == 200
    counts = {org.name: org.dataset_count for org in response.context["organizations"]}
    # Only public datasets count: the private and the draft one of 防災 are left out.
    assert counts["disaster-management"] == 1 and counts["doboku"] == 1
    response = client.get("/organization/doboku", {"tags": "公園"})
    assert response.status_code == 200
    assert [d.name for d in response.context["result"].datasets] == ["parks"]
    assert "organization" not in {facet["field"] for facet in response.context["facets"]}
    response = client.get("/group/", **EN)
    assert {group.name: group.dataset_count for group in response.context["groups"]} == {
        "disaster": 1}
    response = client.get("/group/disaster", **EN)
    assert [d.name for d in response.context["result"].datasets] == ["shelters"]
    assert "<h1>Disaster prevention</h1>" in response.content.decode()
    assert client.get("/organization/nobody").status_code == 404
    assert client.get("/group/nothing").status_code == 404


def test_the_pages_need_no_javascript_and_escape_what_staff_typed(client, minato):
    dataset(name="xss", title="<script>alert(1)</script>", notes="<b>太字</b>")
    page = client.get(LIST).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    page = client.get("/dataset/xss").content.decode()
    assert "<b>太字</b>" not in page and "&lt;b&gt;太字&lt;/b&gt;" in page


def test_the_resident_portal_and_the_back_office_link_to_the_catalogue(minato):
    from cityhall.core.registry import portal_links

    assert "opendata.catalogue" in {link.key for link in portal_links("resident")}
    staff = {link.key: link for link in portal_links("staff")}
    assert staff["opendata.staff_datasets"].permission == "opendata.view_dataset"
    assert Dataset.objects.count() == 0
