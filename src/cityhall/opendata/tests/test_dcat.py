"""DCAT output (取組27): /catalog.{ttl,jsonld,rdf,xml} and /dataset/<name>.{…}, read back with
rdflib as a harvester would, checked against our own DCAT-AP 3.0.0 core shapes with pyshacl,
and paged with Hydra the way ckanext-dcat's RDF harvester follows it."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SH, SKOS

from cityhall.opendata import dcat, services
from cityhall.opendata.dcat import DCAT, HYDRA, SPDX, VCARD, XSD
from cityhall.opendata.models import Dataset, Resource

from .factories import csv_resource, dataset

pytestmark = pytest.mark.django_db

SHAPES = Path(__file__).parent / "data" / "dcat_ap_core_shapes.ttl"
FORMATS = {"ttl": ("turtle", "text/turtle; charset=utf-8"),
           "jsonld": ("json-ld", "application/ld+json; charset=utf-8"),
           "rdf": ("xml", "application/rdf+xml; charset=utf-8"),
           "xml": ("xml", "application/rdf+xml; charset=utf-8")}
BASE = "http://testserver"


@pytest.fixture(autouse=True)
def _minato(minato):
    return minato


def fetch(client, url, fmt="ttl") -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == FORMATS[fmt][1]
    return Graph().parse(data=response.content, format=FORMATS[fmt][0])


def dataset_uris(graph: Graph) -> set[str]:
    return {str(node) for node in graph.subjects(RDF.type, DCAT.Dataset)}


def hydra(graph: Graph, predicate):
    pages = list(graph.subjects(RDF.type, HYDRA.PagedCollection))
    assert len(pages) == 1
    values = list(graph.objects(pages[0], predicate))
    assert len(values) <= 1
    return values[0] if values else None


def rich_dataset():
    services.group_ensure(name="disaster", title="防災", title_en="Disaster prevention")
    row = dataset(name="evacuation-sites", title="指定緊急避難場所一覧",
                  title_en="Designated emergency evacuation sites", notes="港区の避難場所。",
                  notes_en="Evacuation sites in Minato.", tags=("防災", "避難所"),
                  groups=["disaster"], update_frequency="MONTHLY", spatial="東京都港区",
                  temporal_start=date(2025, 4, 1), temporal_end=date(2026, 3, 31),
                  contact_name="防災課", contact_email="bousai@city.example",
                  version="2.1", standard="指定緊急避難場所一覧")
    resource = csv_resource(row)
    return Dataset.objects.get(pk=row.pk), resource


def hidden_datasets():
    private = dataset(name="hidden-private", title="非公開データ", private=True)
    draft = dataset(name="hidden-draft", title="下書きデータ", state="draft")
    deleted = dataset(name="hidden-deleted", title="削除データ")
    services.dataset_delete(actor=None, dataset=deleted)
    return [private, draft, deleted]


# -- formats and content ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FORMATS))
def test_catalogue_parses_in_every_format_with_one_catalog(client, fmt):
    first, _resource = rich_dataset()
    second = dataset(name="parks", title="公園一覧")
    graph = fetch(client, f"/catalog.{fmt}", fmt)
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert catalogs == [URIRef(f"{BASE}/catalog")]
    assert dataset_uris(graph) == {f"{BASE}/dataset/{first.pk}", f"{BASE}/dataset/{second.pk}"}
    assert set(graph.objects(catalogs[0], DCAT.dataset)) == {
        URIRef(f"{BASE}/dataset/{first.pk}"), URIRef(f"{BASE}/dataset/{second.pk}")}
    assert hydra(graph, HYDRA.totalItems) == Literal(2, datatype=XSD.nonNegativeInteger)


def test_catalog_describes_the_city_as_publisher(client):
    graph = fetch(client, "/catalog.ttl")
    catalog = URIRef(f"{BASE}/catalog")
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert set(graph.objects(publisher, FOAF.name)) == {Literal("港区", lang="ja"),
                                                        Literal("Minato City", lang="en")}
    assert graph.value(publisher, DCTERMS.identifier) == Literal("131032")
    assert graph.value(catalog, FOAF.homepage) == URIRef(f"{BASE}/dataset/")
    assert set(graph.objects(catalog, DCTERMS.language)) == {
        URIRef(dcat.EU_LANGUAGE + "JPN"), URIRef(dcat.EU_LANGUAGE + "ENG")}
    assert graph.value(catalog, DCTERMS.title, any=True) is not None


def test_dataset_document_carries_the_dcat_ap_fields(client):
    row, resource = rich_dataset()
    graph = fetch(client, "/dataset/evacuation-sites.ttl")
    node = URIRef(f"{BASE}/dataset/{row.pk}")
    assert list(graph.subjects(RDF.type, DCAT.Catalog)) == []
    assert set(graph.objects(node, DCTERMS.title)) == {
        Literal("指定緊急避難場所一覧", lang="ja"),
        Literal("Designated emergency evacuation sites", lang="en")}
    assert set(graph.objects(node, DCTERMS.description)) == {
        Literal("港区の避難場所。", lang="ja"), Literal("Evacuation sites in Minato.", lang="en")}
    assert graph.value(node, DCTERMS.identifier) == Literal(str(row.pk))
    assert set(graph.objects(node, DCAT.keyword)) == {Literal("防災", lang="ja"),
                                                      Literal("避難所", lang="ja")}
    theme = URIRef(f"{BASE}/group/disaster")
    assert list(graph.objects(node, DCAT.theme)) == [theme]
    assert (theme, SKOS.prefLabel, Literal("Disaster prevention", lang="en")) in graph
    publisher = graph.value(node, DCTERMS.publisher)
    assert publisher == URIRef(f"{BASE}/organization/{row.organization.name}")
    assert graph.value(publisher, FOAF.name) is not None
    contact = graph.value(node, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert graph.value(contact, VCARD.fn) == Literal("防災課", lang="ja")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:bousai@city.example")
    assert graph.value(node, DCTERMS.issued).datatype == XSD.dateTime
    assert graph.value(node, DCTERMS.modified).toPython() == row.metadata_modified
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY")
    place = graph.value(node, DCTERMS.spatial)
    assert (place, RDF.type, DCTERMS.Location) in graph
    assert graph.value(place, SKOS.prefLabel) == Literal("東京都港区", lang="ja")
    assert graph.value(place, DCTERMS.identifier) == Literal("131032")
    period = graph.value(node, DCTERMS.temporal)
    assert graph.value(period, DCAT.startDate) == Literal(date(2025, 4, 1), datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == Literal(date(2026, 3, 31), datatype=XSD.date)
    assert graph.value(node, DCAT.landingPage) == URIRef(f"{BASE}/dataset/evacuation-sites")
    standard = graph.value(node, DCTERMS.conformsTo)
    assert graph.value(standard, RDFS.label) == Literal("指定緊急避難場所一覧", lang="ja")
    assert graph.value(node, DCAT.version) == Literal("2.1")

    distribution = URIRef(f"{BASE}/dataset/{row.pk}/resource/{resource.pk}")
    assert list(graph.objects(node, DCAT.distribution)) == [distribution]
    assert graph.value(distribution, DCTERMS.title) == Literal("一覧 (CSV)", lang="ja")
    assert graph.value(distribution, DCAT.accessURL) == URIRef(
        f"{BASE}/dataset/evacuation-sites/resource/{resource.pk}")
    filename = resource.file.name.rsplit("/", 1)[-1]
    assert graph.value(distribution, DCAT.downloadURL) == URIRef(
        f"{BASE}/dataset/evacuation-sites/resource/{resource.pk}/download/{filename}")
    assert graph.value(distribution, DCTERMS.format) == URIRef(
        "http://publications.europa.eu/resource/authority/file-type/CSV")
    assert graph.value(distribution, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv")
    assert graph.value(distribution, DCAT.byteSize) == Literal(
        resource.size, datatype=XSD.nonNegativeInteger)
    checksum = graph.value(distribution, SPDX.checksum)
    assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert str(graph.value(checksum, SPDX.checksumValue)) == resource.hash
    assert graph.value(distribution, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")


def test_link_resources_download_from_their_own_address_and_deleted_ones_are_left_out(client):
    row = dataset(name="links")
    link = services.resource_create(actor=None, dataset=row, name="外部",
                                    url="https://example.org/data.json", format="json")
    gone = csv_resource(row, name="古い")
    Resource.objects.filter(pk=gone.pk).update(state=Dataset.State.DELETED)
    graph = fetch(client, "/dataset/links.rdf", "rdf")
    distributions = set(graph.subjects(RDF.type, DCAT.Distribution))
    assert distributions == {URIRef(f"{BASE}/dataset/{row.pk}/resource/{link.pk}")}
    assert graph.value(next(iter(distributions)), DCAT.downloadURL) == URIRef(
        "https://example.org/data.json")


# -- URIs ---------------------------------------------------------------------------------------

def test_dataset_uri_is_stable_and_the_same_in_catalogue_and_dataset_document(client):
    row, _resource = rich_dataset()
    expected = {f"{BASE}/dataset/{row.pk}"}
    by_name = fetch(client, "/dataset/evacuation-sites.ttl")
    assert dataset_uris(by_name) == expected
    assert dataset_uris(fetch(client, "/dataset/evacuation-sites.ttl")) == expected
    assert dataset_uris(fetch(client, f"/dataset/{row.pk}.rdf", "rdf")) == expected
    assert dataset_uris(fetch(client, "/catalog.jsonld", "jsonld")) == expected
    # A rename keeps the URI.
    services.dataset_update(actor=None, dataset=row, name="evacuation-sites-2026")
    assert dataset_uris(fetch(client, "/dataset/evacuation-sites-2026.ttl")) == expected
    assert client.get("/dataset/evacuation-sites.ttl").status_code == 404


def test_uris_and_page_links_come_from_the_configured_base(client, settings):
    settings.OPENDATA_BASE_URI = "https://opendata.city.example/"
    row = dataset(name="parks")
    graph = fetch(client, "/catalog.ttl", "ttl")
    assert dataset_uris(graph) == {f"https://opendata.city.example/dataset/{row.pk}"}
    assert str(hydra(graph, HYDRA.first)) == "https://opendata.city.example/catalog.ttl?page=1"


# -- what is never shown ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FORMATS))
def test_private_draft_and_deleted_datasets_never_appear(client, fmt):
    shown = dataset(name="shown")
    hidden = hidden_datasets()
    response = client.get(f"/catalog.{fmt}")
    for row in hidden:
        assert str(row.pk).encode() not in response.content
        assert row.name.encode() not in response.content
        assert client.get(f"/dataset/{row.name}.{fmt}").status_code == 404
        assert client.get(f"/dataset/{row.pk}.{fmt}").status_code == 404
    graph = Graph().parse(data=response.content, format=FORMATS[fmt][0])
    assert dataset_uris(graph) == {f"{BASE}/dataset/{shown.pk}"}
    assert hydra(graph, HYDRA.totalItems).toPython() == 1


def test_staff_get_the_anonymous_catalogue_too(client, officer):
    hidden_datasets()
    client.force_login(officer)
    assert dataset_uris(fetch(client, "/catalog.ttl")) == set()
    assert client.get("/dataset/hidden-private.ttl").status_code == 404


# -- paging -------------------------------------------------------------------------------------

def make_many(count: int) -> set[str]:
    return {f"{BASE}/dataset/{dataset(name=f'bulk-{n:03d}', tags=()).pk}"
            for n in range(count)}


def test_paging_with_hydra(client):
    expected = make_many(205)
    hidden_datasets()
    first = fetch(client, "/catalog.ttl")
    assert len(dataset_uris(first)) == 100
    assert hydra(first, HYDRA.previous) is None
    assert str(hydra(first, HYDRA.next)) == f"{BASE}/catalog.ttl?page=2"

    second = fetch(client, "/catalog.ttl?page=2")
    assert len(dataset_uris(second)) == 100
    here = URIRef(f"{BASE}/catalog.ttl?page=2")
    assert (here, RDF.type, HYDRA.PagedCollection) in second
    assert (here, RDF.type, HYDRA.PartialCollectionView) in second
    assert hydra(second, HYDRA.totalItems) == Literal(205, datatype=XSD.nonNegativeInteger)
    assert hydra(second, HYDRA.itemsPerPage) == Literal(100, datatype=XSD.nonNegativeInteger)
    assert str(hydra(second, HYDRA.first)) == f"{BASE}/catalog.ttl?page=1"
    assert str(hydra(second, HYDRA.last)) == f"{BASE}/catalog.ttl?page=3"
    assert str(hydra(second, HYDRA.next)) == f"{BASE}/catalog.ttl?page=3"
    assert str(hydra(second, HYDRA.previous)) == f"{BASE}/catalog.ttl?page=1"
    assert str(hydra(second, HYDRA.nextPage)) == f"{BASE}/catalog.ttl?page=3"

    last = fetch(client, "/catalog.ttl?page=3")
    assert len(dataset_uris(last)) == 5
    assert hydra(last, HYDRA.next) is None
    assert hydra(last, HYDRA.nextPage) is None
    assert str(hydra(last, HYDRA.last)) == f"{BASE}/catalog.ttl?page=3"
    assert client.get("/catalog.ttl?page=4").status_code == 404
    assert expected == dataset_uris(first) | dataset_uris(second) | dataset_uris(last)


@pytest.mark.parametrize("fmt", ["rdf", "jsonld"])
def test_following_next_visits_every_dataset_once_and_stops(client, fmt):
    expected = make_many(201)
    seen: list[str] = []
    visited: list[str] = []
    url = f"{BASE}/catalog.{fmt}?fq=tags:*"
    while url is not None:
        assert url not in visited  # a "next" pointing back would loop (ckanext-dcat#260)
        assert len(visited) < 10
        visited.append(url)
        graph = fetch(client, url.removeprefix(BASE), fmt)
        seen += sorted(dataset_uris(graph))
        following = hydra(graph, HYDRA.next)
        url = str(following) if following is not None else None
    assert len(visited) == 3
    assert sorted(seen) == sorted(expected)
    assert visited[1] == f"{BASE}/catalog.{fmt}?fq=tags%3A%2A&page=2"


def test_empty_catalogue_is_one_page(client):
    graph = fetch(client, "/catalog.ttl")
    assert dataset_uris(graph) == set()
    assert hydra(graph, HYDRA.totalItems).toPython() == 0
    assert str(hydra(graph, HYDRA.last)) == f"{BASE}/catalog.ttl?page=1"
    assert hydra(graph, HYDRA.next) is None
    assert client.get("/catalog.ttl?page=2").status_code == 404


# -- filters and bad requests -----------------------------------------------------------------

def test_q_fq_and_modified_since_narrow_the_catalogue(client):
    old = dataset(name="old-parks", title="公園一覧", tags=("公園",))
    new = dataset(name="new-shelters", title="避難所一覧", tags=("防災",))
    Dataset.objects.filter(pk=old.pk).update(
        metadata_modified=datetime(2025, 6, 1, tzinfo=UTC))
    Dataset.objects.filter(pk=new.pk).update(
        metadata_modified=datetime(2026, 2, 1, tzinfo=UTC))
    only_new = {f"{BASE}/dataset/{new.pk}"}
    assert dataset_uris(fetch(client, "/catalog.ttl?q=避難所")) == only_new
    assert dataset_uris(fetch(client, "/catalog.ttl?fq=tags:防災")) == only_new
    assert dataset_uris(fetch(client, "/catalog.ttl?modified_since=2026-01-01")) == only_new
    graph = fetch(client, "/catalog.ttl?modified_since=2026-01-01T00:00:00Z&fq=tags:防災")
    assert dataset_uris(graph) == only_new
    assert str(hydra(graph, HYDRA.first)).startswith(f"{BASE}/catalog.ttl?fq=")
    assert dataset_uris(fetch(client, "/catalog.ttl?modified_since=2030-01-01")) == set()
    # Parameters a harvester adds that we do not use are ignored.
    assert len(dataset_uris(fetch(client, "/catalog.ttl?profiles=euro_dcat_ap"))) == 2


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "page=1.5", "page=",
                                   "page=99999999999", "modified_since=yesterday",
                                   "modified_since=2026-13-01", "fq=nosuchfield:1",
                                   "q=tags:%22unclosed", "fq=organization:a%20OR"])
def test_bad_parameters_are_a_400_in_plain_text(client, query):
    dataset(name="parks")
    response = client.get(f"/catalog.ttl?{query}")
    if query == "page=":
        # An empty page parameter means the first page.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.strip()


@pytest.mark.parametrize("url", ["/catalog.csv", "/catalog.n4", "/dataset/parks.csv",
                                 "/dataset/no-such-dataset.ttl", "/dataset/parks.TTL"])
def test_unknown_formats_and_datasets_are_a_404(client, url):
    dataset(name="parks")
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_only_get_and_head(client):
    assert client.post("/catalog.ttl").status_code == 405
    assert client.head("/catalog.ttl").status_code == 200


def test_url_names():
    assert reverse("opendata:catalog_dcat", kwargs={"fmt": "ttl"}) == "/catalog.ttl"
    assert reverse("opendata:dataset_dcat", kwargs={"name": "parks", "fmt": "rdf"}) == (
        "/dataset/parks.rdf")


# -- SHACL --------------------------------------------------------------------------------------

def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


@pytest.mark.parametrize("fmt", ["ttl", "rdf"])
def test_catalogue_conforms_to_the_dcat_ap_core_shapes(client, fmt):
    rich_dataset()
    dataset(name="bare", title="最小限", tags=())
    graph = fetch(client, f"/catalog.{fmt}", fmt)
    conforms, _report, text = validate(graph, shacl_graph=shapes())
    assert conforms, text


def failing_paths(graph: Graph) -> set[str]:
    conforms, results, _text = validate(graph, shacl_graph=shapes())
    assert not conforms
    return {str(path) for path in results.objects(None, SH.resultPath)}


def test_the_shapes_catch_a_broken_catalogue(client):
    rich_dataset()
    graph = fetch(client, "/catalog.ttl")
    graph.remove((URIRef(f"{BASE}/catalog"), DCTERMS.title, None))
    assert failing_paths(graph) == {str(DCTERMS.title)}

    graph = fetch(client, "/catalog.ttl")
    for agent in graph.subjects(RDF.type, FOAF.Agent):
        graph.remove((agent, FOAF.name, None))
    distribution = next(graph.subjects(RDF.type, DCAT.Distribution))
    graph.set((distribution, DCAT.byteSize, Literal("big")))
    graph.remove((distribution, DCAT.accessURL, None))
    assert failing_paths(graph) == {str(FOAF.name), str(DCAT.byteSize), str(DCAT.accessURL)}


# -- alternate links ----------------------------------------------------------------------------

def test_alternate_links_for_a_dataset_and_for_the_catalogue():
    row = dataset(name="parks")
    html = render_to_string("opendata/includes/dcat_links.html", {"dataset": row})
    assert html.count('<link rel="alternate"') == 3
    assert 'type="application/rdf+xml" href="/dataset/parks.rdf"' in html
    assert 'type="text/turtle" href="/dataset/parks.ttl"' in html
    assert 'type="application/ld+json" href="/dataset/parks.jsonld"' in html
    html = render_to_string("opendata/includes/dcat_links.html", {})
    assert html.count('<link rel="alternate"') == 3
    assert 'type="application/rdf+xml" href="/catalog.rdf"' in html
    assert 'type="text/turtle" href="/catalog.ttl"' in html
