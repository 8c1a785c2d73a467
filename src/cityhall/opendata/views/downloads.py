"""Downloads of the catalogue's files (取組27):
/dataset/<name>/resource/<id>/download/<filename>.

- The file is served as a download (`Content-Disposition: attachment`) with the resource's
  media type and `X-Content-Type-Options: nosniff`, so a browser never renders it as a page.
- `ETag` is the file's SHA-256 (strong: the bytes are exactly those), `Last-Modified` the time
  the content last changed; `If-None-Match` and `If-Modified-Since` give 304. Harvesters and
  caches fetch again only what changed.
- `Access-Control-Allow-Origin: *`: open data may be read by any web page.
- A CSV is stored in UTF-8 (without BOM). `?encoding=utf-8-bom` adds the byte order mark that
  Excel needs to read UTF-8; `?encoding=shift_jis` converts to cp932 (Windows Shift_JIS, what
  Japanese Excel writes). A character cp932 does not have is NOT replaced: the conversion is
  refused with a page that names the line and the character and offers the UTF-8 file, because
  silently changing published data (a "?" in a name or an address) is worse than asking the
  reader to use the UTF-8 file.
- Live datasets are refreshed first if their source changed (`live.live_refresh_if_stale`).
- Links redirect to their address; private datasets are "not found" for everyone who may not
  edit them. The name in the address is cosmetic (CKAN's rule): any name serves the file, the
  download is offered under the file's own name.
"""

from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cityhall.core.errors import NotFoundError

from .. import links, live
from ..models import Resource
from ..permissions import access_dataset
from .public import resource_for

CHUNK = 64 * 1024
BOM = "\ufeff".encode()
ENCODINGS = {"": "", "utf-8": "", "utf-8-bom": "-bom", "shift_jis": "-sjis"}


def _headers(response, resource: Resource, etag: str, public: bool):
    response["ETag"] = etag
    response["Last-Modified"] = http_date(resource.last_modified.timestamp())
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, no_cache=True, **({"public": True} if public
                                                     else {"private": True}))
    return response


def _chunks(resource: Resource, prefix: bytes = b""):
    if prefix:
        yield prefix
    with resource.file.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _shift_jis(resource: Resource) -> tuple[bytes | None, str]:
    """The CSV in cp932, or None and the reason it cannot be."""
    with resource.file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig", errors="replace")
    try:
        return text.encode("cp932"), ""
    except UnicodeEncodeError as error:
        character = text[error.start]
        line = text.count("\n", 0, error.start) + 1
        return None, _(
            "This CSV file cannot be written in Shift_JIS: line %(line)s contains "
            "“%(character)s” (U+%(code)s), a character Shift_JIS does not have. Download the "
            "UTF-8 file instead; Excel opens the “UTF-8 (with BOM)” one.") % {
            "line": line, "character": character, "code": f"{ord(character):04X}"}


def _refuse(request, dataset, resource, message: str, status: int = 400):
    return render(request, "opendata/download_error.html", {
        "dataset": dataset, "resource": resource, "message": message,
        "download": links.resource_download_url(resource)}, status=status)


@require_safe
def resource_download(request, name, resource_id, filename):
    dataset = access_dataset(request.user, name)
    live.live_refresh_if_stale(dataset)
    resource = resource_for(dataset, resource_id)
    if resource.kind == Resource.Kind.LINK:
        return HttpResponseRedirect(resource.url)
    encoding = request.GET.get("encoding", "")
    if encoding not in ENCODINGS or (ENCODINGS[encoding] and resource.format != "CSV"):
        return _refuse(request, dataset, resource, _(
            "Unknown encoding. CSV files can be downloaded as “utf-8”, “utf-8-bom” or "
            "“shift_jis”; other files only as they are."))
    if not resource.file:
        raise NotFoundError(_("This file is not available yet. Please try again later."))
    suffix = ENCODINGS[encoding]
    tag = resource.hash or f"{resource.size}-{int(resource.last_modified.timestamp())}"
    etag = f'"{tag}{suffix}"'
    public = dataset.is_public
    not_modified = get_conditional_response(
        request, etag=etag, last_modified=int(resource.last_modified.timestamp()))
    if not_modified is not None:
        return _headers(not_modified, resource, etag, public)

    media_type = resource.mimetype or "application/octet-stream"
    if resource.format == "CSV":
        media_type = "text/csv; charset=" + ("Shift_JIS" if suffix == "-sjis" else "utf-8")
    if suffix == "-sjis":
        content, problem = _shift_jis(resource)
        if content is None:
            return _refuse(request, dataset, resource, problem)
        response = StreamingHttpResponse([content], content_type=media_type)
        length = len(content)
    else:
        prefix = BOM if suffix == "-bom" else b""
        response = StreamingHttpResponse(_chunks(resource, prefix), content_type=media_type)
        length = resource.file.size + len(prefix)
    response["Content-Length"] = str(length)
    response["Content-Disposition"] = content_disposition_header(
        True, links.resource_filename(resource))
    return _headers(response, resource, etag, public)
