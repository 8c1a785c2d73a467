"""DCAT documents (取組27): `/catalog.{ttl,jsonld,rdf,xml}` and `/dataset/<name>.{…}`.

Thin views over `dcat.py`. Whatever goes wrong, the client gets a short text/plain answer with
the right status, never an HTML page: 400 for parameters that cannot be understood, 404 for an
unknown format, a dataset one may not see (private, draft, deleted — DCAT is always served as
to an anonymous visitor) or a page past the end of the catalogue.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cityhall.core.errors import CityhallError, NotFoundError

from .. import dcat
from ..permissions import access_dataset


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(f"{message}\n", status=status,
                        content_type="text/plain; charset=utf-8")


def _document(graph, fmt: str) -> HttpResponse:
    _serializer, content_type = dcat.FORMATS[fmt]
    response = HttpResponse(dcat.serialize(graph, fmt),
                            content_type=f"{content_type}; charset=utf-8")
    # Public metadata, read by harvesters and by scripts in other sites' pages.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _unknown_format(fmt: str) -> HttpResponse:
    return _plain(_("Unknown format “%(format)s”; use one of: %(formats)s.")
                  % {"format": fmt[:20], "formats": ", ".join(dcat.FORMATS)}, 404)


@require_safe
def catalog(request, fmt: str):
    if fmt not in dcat.FORMATS:
        return _unknown_format(fmt)
    base = dcat.base_uri(request)
    try:
        query = dcat.parse_catalog_query(request.GET)
        page = dcat.catalog_page(base=base, page_url=f"{base}/catalog.{fmt}", query=query)
    except CityhallError as error:
        return _plain(str(error.message), error.status)
    return _document(page.graph, fmt)


@require_safe
def dataset(request, name: str, fmt: str):
    if fmt not in dcat.FORMATS:
        return _unknown_format(fmt)
    try:
        found = access_dataset(None, name)
    except NotFoundError:
        return _plain(_("There is no such dataset."), 404)
    return _document(dcat.dataset_document(base=dcat.base_uri(request), dataset=found), fmt)
