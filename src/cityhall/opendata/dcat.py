"""The catalogue in DCAT (DCAT-AP 3 style), for RDF harvesters (取組27).

`/catalog.{ttl,jsonld,rdf}` is the whole public catalogue, 100 datasets a page, with Hydra
paging; `/dataset/<name>.{ttl,jsonld,rdf}` is one dataset. Both describe a dataset with the
same graph (`add_dataset`), so a harvester gets the same triples either way.

Choices a harvester relies on:
- URIs are built from `settings.OPENDATA_BASE_URI` when it is set (behind a proxy the request's
  own address is not the public one), else from the request. A dataset's URI is
  `{base}/dataset/{uuid}`: a rename does not change it.
- The catalogue lists exactly what `selectors.dataset_search` finds for an anonymous user
  (public, active datasets), ordered by id so that pages do not shift when a dataset is
  edited between two page fetches. `q`, `fq` and `modified_since` narrow it.
- Paging: `<page URL> a hydra:PagedCollection, hydra:PartialCollectionView` with
  hydra:first/last/next/previous (and the older firstPage/lastPage/nextPage/previousPage that
  earlier ckanext-dcat harvesters read), hydra:totalItems and hydra:itemsPerPage. The last
  page has no next, so a harvester following "next" stops. A page past the end is "not found".
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS

from cityhall.core.errors import CityhallError
from cityhall.core.models import Municipality

from . import links
from .licences import LICENCES
from .models import Dataset, Resource
from .selectors import dataset_search

# rdflib's own DCAT and XSD namespaces are closed lists that lack DCAT 3 terms (dcat:version)
# and warn on them, so these two are open ones.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")

EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
# Our formats that the EU file-type authority names with the same code.
EU_FILE_TYPES = {"CSV", "JSON", "GEOJSON", "XLSX", "XLS", "PDF", "XML", "ZIP", "TXT", "HTML",
                 "KML", "KMZ", "SHP", "RDF", "TSV", "ODS", "DOCX", "JPEG", "PNG"}
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

PAGE_SIZE = 100

# URL suffix: (rdflib serializer, content type). "xml" is CKAN's alias of "rdf".
FORMATS = {
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
    "xml": ("pretty-xml", "application/rdf+xml"),
}
# The formats offered as <link rel="alternate"> (the "xml" alias is left out).
ALTERNATE_FORMATS = ("rdf", "ttl", "jsonld")

PREFIXES = {"dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "vcard": VCARD, "spdx": SPDX,
            "hydra": HYDRA, "skos": SKOS, "adms": ADMS, "rdfs": RDFS, "owl": OWL,
            "xsd": XSD, "dcatap": DCATAP}


class DcatRequestError(CityhallError):
    """A catalogue request whose parameters cannot be understood (HTTP 400)."""

    code = "dcat_request"
    status = 400


# -- addresses ------------------------------------------------------------------------------

def base_uri(request=None) -> str:
    """The public root of the site, without a trailing slash."""
    configured = (getattr(settings, "OPENDATA_BASE_URI", "") or "").strip()
    if configured:
        return configured.rstrip("/")
    if request is None:
        return ""
    return request.build_absolute_uri("/").rstrip("/")


def catalog_uri(base: str) -> URIRef:
    return URIRef(f"{base}/catalog")


def dataset_uri(base: str, dataset: Dataset) -> URIRef:
    return URIRef(f"{base}/dataset/{dataset.pk}")


def distribution_uri(base: str, resource: Resource) -> URIRef:
    return URIRef(f"{base}/dataset/{resource.dataset_id}/resource/{resource.pk}")


def _absolute(base: str, path: str) -> str:
    return urljoin(base + "/", path)


# -- the catalogue's parameters -------------------------------------------------------------

@dataclass(frozen=True)
class CatalogQuery:
    q: str = ""
    fq: str = ""
    modified_since: datetime | None = None
    page: int = 1

    def fq_list(self) -> list[str]:
        if self.modified_since is None:
            return []
        since = self.modified_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return [f"metadata_modified:[{since} TO *]"]

    def page_params(self, page: int) -> dict:
        """The query string of another page of the same search (parameters in a fixed order,
        so each page has exactly one address)."""
        params = {}
        if self.q:
            params["q"] = self.q
        if self.fq:
            params["fq"] = self.fq
        if self.modified_since is not None:
            params["modified_since"] = self.modified_since.isoformat()
        params["page"] = str(page)
        return params


def parse_catalog_query(params) -> CatalogQuery:
    """Read `page`, `q`, `fq` and `modified_since` from a QueryDict. Other parameters (such as
    ckanext-dcat's `profiles`) are ignored."""
    page_text = (params.get("page") or "1").strip()
    if not re.fullmatch(r"[0-9]{1,9}", page_text) or int(page_text) < 1:
        raise DcatRequestError(_("The page must be a whole number of 1 or more."))
    since_text = (params.get("modified_since") or "").strip()
    since = None
    if since_text:
        since = _parse_since(since_text)
    return CatalogQuery(q=(params.get("q") or "").strip(), fq=(params.get("fq") or "").strip(),
                        modified_since=since, page=int(page_text))


def _parse_since(text: str) -> datetime:
    """An ISO 8601 date (the start of that day in the city's time zone) or date and time
    (UTC when it has no zone)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return timezone.make_aware(datetime.combine(day, time.min))
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DcatRequestError(_("modified_since must be a date (YYYY-MM-DD) or a date and "
                                 "time in ISO 8601.")) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- graphs ---------------------------------------------------------------------------------

def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _text(graph: Graph, subject, predicate, japanese: str, english: str = "") -> None:
    if japanese:
        graph.add((subject, predicate, Literal(japanese, lang="ja")))
    if english:
        graph.add((subject, predicate, Literal(english, lang="en")))


def municipality() -> Municipality | None:
    code = getattr(settings, "CITYHALL_MUNICIPALITY_CODE", "131032")
    return Municipality.objects.filter(code=code).first()


def _municipality_agent(graph: Graph, city: Municipality | None):
    agent = BNode()
    graph.add((agent, RDF.type, FOAF.Agent))
    if city is None:
        graph.add((agent, FOAF.name, Literal(getattr(settings, "CITYHALL_MUNICIPALITY_CODE",
                                                     "131032"))))
        return agent
    _text(graph, agent, FOAF.name, city.name, city.name_en)
    graph.add((agent, DCTERMS.identifier, Literal(city.code)))
    if city.website:
        graph.add((agent, FOAF.homepage, URIRef(city.website)))
    return agent


def add_catalog(graph: Graph, base: str, *, city: Municipality | None, modified) -> URIRef:
    catalog = catalog_uri(base)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    name = city.name if city else ""
    name_en = (city.name_en if city else "") or "the city"
    _text(graph, catalog, DCTERMS.title, f"{name}オープンデータカタログ",
          f"Open data catalogue of {name_en}")
    _text(graph, catalog, DCTERMS.description, f"{name}が公開するオープンデータの一覧です。",
          f"The open data published by {name_en}.")
    graph.add((catalog, DCTERMS.publisher, _municipality_agent(graph, city)))
    for code in ("JPN", "ENG"):
        graph.add((catalog, DCTERMS.language, URIRef(EU_LANGUAGE + code)))
    graph.add((catalog, FOAF.homepage, URIRef(f"{base}/dataset/")))
    if modified is not None:
        graph.add((catalog, DCTERMS.modified, Literal(modified.astimezone(UTC),
                                                       datatype=XSD.dateTime)))
    return catalog


def _datetime(value: datetime) -> Literal:
    return Literal(value.astimezone(UTC), datatype=XSD.dateTime)


def add_dataset(graph: Graph, base: str, dataset: Dataset, *,
                city: Municipality | None) -> URIRef:
    """Describe one dataset (and its active resources) in `graph`. `dataset` should come with
    organization, tags, groups and resources prefetched (`dataset_search` does that)."""
    node = dataset_uri(base, dataset)
    graph.add((node, RDF.type, DCAT.Dataset))
    _text(graph, node, DCTERMS.title, dataset.title, dataset.title_en)
    # DCAT-AP requires a description; a dataset without one is described by its title.
    _text(graph, node, DCTERMS.description, dataset.notes or dataset.title, dataset.notes_en)
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.pk))))
    graph.add((node, DCAT.landingPage, URIRef(_absolute(base, links.dataset_path(dataset)))))
    if dataset.url:
        graph.add((node, FOAF.page, URIRef(dataset.url)))
    graph.add((node, DCTERMS.issued, _datetime(dataset.metadata_created)))
    graph.add((node, DCTERMS.modified, _datetime(dataset.metadata_modified)))
    graph.add((node, DCTERMS.language, URIRef(EU_LANGUAGE + "JPN")))
    for tag in dataset.tags.all():
        graph.add((node, DCAT.keyword, Literal(tag.name, lang="ja")))
    for group in dataset.groups.all():
        theme = URIRef(f"{base}/group/{group.name}")
        graph.add((node, DCAT.theme, theme))
        graph.add((theme, RDF.type, SKOS.Concept))
        _text(graph, theme, SKOS.prefLabel, group.title, group.title_en)
    _add_publisher(graph, base, node, dataset)
    _add_contact(graph, node, dataset)
    graph.add((node, DCTERMS.accrualPeriodicity,
               URIRef(EU_FREQUENCY + dataset.update_frequency)))
    _add_coverage(graph, node, dataset, city)
    if dataset.standard:
        standard = BNode()
        graph.add((standard, RDF.type, DCTERMS.Standard))
        graph.add((standard, RDFS.label, Literal(dataset.standard, lang="ja")))
        graph.add((node, DCTERMS.conformsTo, standard))
    if dataset.version:
        graph.add((node, DCAT.version, Literal(dataset.version)))
        graph.add((node, OWL.versionInfo, Literal(dataset.version)))
    for resource in dataset.resources.all():
        if resource.state == Dataset.State.ACTIVE:
            graph.add((node, DCAT.distribution,
                       add_distribution(graph, base, dataset, resource)))
    return node


def _add_publisher(graph: Graph, base: str, node, dataset: Dataset) -> None:
    organization = dataset.organization
    agent = URIRef(f"{base}/organization/{organization.name}")
    graph.add((agent, RDF.type, FOAF.Agent))
    _text(graph, agent, FOAF.name, organization.title, organization.title_en)
    graph.add((node, DCTERMS.publisher, agent))


def _add_contact(graph: Graph, node, dataset: Dataset) -> None:
    organization = dataset.organization
    contact = BNode()
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, Literal(dataset.contact_name or organization.title,
                                          lang="ja")))
    email = dataset.contact_email or organization.email
    if email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    if dataset.contact_phone:
        phone = re.sub(r"[^0-9+]", "", dataset.contact_phone)
        if phone:
            graph.add((contact, VCARD.hasTelephone, URIRef(f"tel:{phone}")))
    graph.add((node, DCAT.contactPoint, contact))


def _add_coverage(graph: Graph, node, dataset: Dataset, city: Municipality | None) -> None:
    if dataset.spatial:
        place = BNode()
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, SKOS.prefLabel, Literal(dataset.spatial, lang="ja")))
        if city is not None and city.name and city.name in dataset.spatial:
            # 全国地方公共団体コード of the municipality the coverage names.
            graph.add((place, DCTERMS.identifier, Literal(city.code)))
        graph.add((node, DCTERMS.spatial, place))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start,
                                                       datatype=XSD.date)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end,
                                                     datatype=XSD.date)))
        graph.add((node, DCTERMS.temporal, period))


def add_distribution(graph: Graph, base: str, dataset: Dataset, resource: Resource) -> URIRef:
    node = distribution_uri(base, resource)
    graph.add((node, RDF.type, DCAT.Distribution))
    _text(graph, node, DCTERMS.title, resource.name, resource.name_en)
    if resource.description:
        graph.add((node, DCTERMS.description, Literal(resource.description, lang="ja")))
    resource.dataset = dataset  # the links below read the dataset's name
    graph.add((node, DCAT.accessURL,
               URIRef(_absolute(base, links.resource_path(resource)))))
    download = links.resource_download_url(resource)
    if download:
        graph.add((node, DCAT.downloadURL, URIRef(_absolute(base, download))))
    code = (resource.format or "").upper()
    if code in EU_FILE_TYPES:
        graph.add((node, DCTERMS.format, URIRef(EU_FILE_TYPE + code)))
    if resource.mimetype and _MEDIA_TYPE.match(resource.mimetype.lower()):
        graph.add((node, DCAT.mediaType,
                   URIRef(IANA_MEDIA_TYPE + resource.mimetype.lower())))
    if resource.size is not None:
        graph.add((node, DCAT.byteSize, Literal(resource.size,
                                                datatype=XSD.nonNegativeInteger)))
    if resource.hash and re.fullmatch(r"[0-9a-fA-F]{64}", resource.hash):
        checksum = BNode()
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add((checksum, SPDX.checksumValue, Literal(resource.hash.lower(),
                                                         datatype=XSD.hexBinary)))
        graph.add((node, SPDX.checksum, checksum))
    graph.add((node, DCTERMS.issued, _datetime(resource.created)))
    graph.add((node, DCTERMS.modified, _datetime(resource.last_modified)))
    licence = LICENCES.get(dataset.license_id)
    if licence is not None and licence.url:
        licence_node = URIRef(licence.url)
        graph.add((licence_node, RDF.type, DCTERMS.LicenseDocument))
        graph.add((licence_node, RDFS.label, Literal(licence.title)))
        graph.add((node, DCTERMS.license, licence_node))
    return node


# -- documents ------------------------------------------------------------------------------

@dataclass
class CatalogPage:
    graph: Graph
    total: int
    page: int
    last_page: int


def catalog_page(*, base: str, page_url: str, query: CatalogQuery) -> CatalogPage:
    """One page of the catalogue. `page_url` is the address of the catalogue document in the
    requested format, without query string (e.g. https://…/catalog.ttl).

    Raises `SearchQueryError`/`DcatRequestError` (400) for parameters that cannot be
    understood, `PageNotFound` for a page past the end."""
    start = (query.page - 1) * PAGE_SIZE
    result = dataset_search(user=None, q=query.q, fq=query.fq, fq_list=query.fq_list(),
                            sort="id asc", start=start, rows=PAGE_SIZE)
    last_page = max(1, -(-result.count // PAGE_SIZE))
    if query.page > last_page:
        raise PageNotFound()
    graph = new_graph()
    city = municipality()
    modified = (Dataset.objects.filter(state=Dataset.State.ACTIVE, private=False)
                .order_by("-metadata_modified").values_list("metadata_modified", flat=True)
                .first())
    catalog = add_catalog(graph, base, city=city, modified=modified)
    for dataset in result.datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, base, dataset, city=city)))
    _add_paging(graph, page_url, query, total=result.count, last_page=last_page)
    return CatalogPage(graph=graph, total=result.count, page=query.page, last_page=last_page)


class PageNotFound(CityhallError):
    code = "not_found"
    status = 404

    def __init__(self):
        super().__init__(_("There is no such page of the catalogue."))


def _add_paging(graph: Graph, page_url: str, query: CatalogQuery, *, total: int,
                last_page: int) -> None:
    def address(page: int) -> URIRef:
        return URIRef(f"{page_url}?{urlencode(query.page_params(page))}")

    here = address(query.page)
    graph.add((here, RDF.type, HYDRA.PagedCollection))
    graph.add((here, RDF.type, HYDRA.PartialCollectionView))
    graph.add((here, HYDRA.totalItems, Literal(total, datatype=XSD.nonNegativeInteger)))
    graph.add((here, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.nonNegativeInteger)))
    links_to = {"first": 1, "last": last_page}
    if query.page < last_page:
        links_to["next"] = query.page + 1
    if query.page > 1:
        links_to["previous"] = query.page - 1
    for name, page in links_to.items():
        graph.add((here, HYDRA[name], address(page)))
        # The names of Hydra's first draft, which older harvesters read.
        graph.add((here, HYDRA[f"{name}Page"], Literal(str(address(page)))))


def dataset_document(*, base: str, dataset: Dataset) -> Graph:
    graph = new_graph()
    dataset = (Dataset.objects.select_related("organization")
               .prefetch_related("tags", "groups", "resources").get(pk=dataset.pk))
    add_dataset(graph, base, dataset, city=municipality())
    return graph


def serialize(graph: Graph, fmt: str) -> bytes:
    serializer, _content_type = FORMATS[fmt]
    if serializer == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        return graph.serialize(format="json-ld", context=context,
                               auto_compact=True).encode("utf-8")
    return graph.serialize(format=serializer, encoding="utf-8")
