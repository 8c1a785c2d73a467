"""Checks on a file staff upload to the catalogue (取組27), before anything is stored.

A file is accepted only when its content is what its format says: a CSV that parses (UTF-8,
or Shift_JIS/cp932 as Excel in Japanese offices writes it, converted to UTF-8), JSON and
GeoJSON that parse, an XLSX that opens, a PDF that starts like one. Anything else — HTML,
scripts, SVG, archives — is refused, so the catalogue can never serve a page or a script
under its own address. Files are served as downloads with `nosniff` (`views`).
"""

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from cityhall.core.errors import ValidationFailed
from cityhall.core.textfiles import decode_office_text

FORMATS = {
    # format: (media type, file extension)
    "CSV": ("text/csv", "csv"),
    "JSON": ("application/json", "json"),
    "GEOJSON": ("application/geo+json", "geojson"),
    "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "PDF": ("application/pdf", "pdf"),
}
EXTENSIONS = {extension: name for name, (_media, extension) in FORMATS.items()}


@dataclass
class CheckedUpload:
    content: bytes  # what is stored (CSV always as UTF-8 without BOM)
    format: str
    mimetype: str
    extension: str
    size: int
    sha256: str
    source_encoding: str = ""
    row_count: int | None = None
    columns: list[str] | None = None


def max_upload_bytes() -> int:
    return settings.OPENDATA_MAX_UPLOAD_BYTES


def format_from_filename(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return EXTENSIONS.get(extension, "")


def decode_csv(raw: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in (`core.textfiles.decode_office_text`)."""
    decoded = decode_office_text(raw)
    if decoded is None:
        raise ValidationFailed(_("The CSV file is neither UTF-8 nor Shift_JIS. Save it from "
                                 "Excel as “CSV UTF-8” and upload it again."), field="file")
    return decoded


def check_csv(raw: bytes) -> tuple[bytes, str, int, list[str]]:
    text, encoding = decode_csv(raw)
    if "\x00" in text:
        raise ValidationFailed(_("The CSV file contains binary data."), field="file")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ValidationFailed(_("The CSV file cannot be read: %(error)s")
                               % {"error": error}, field="file") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ValidationFailed(_("The CSV file is empty."), field="file")
    header = rows[0]
    if any(not name.strip() for name in header):
        raise ValidationFailed(_("Every column of the CSV file's first row needs a name."),
                               field="file")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValidationFailed(
                _("Row %(row)s of the CSV file has %(found)s columns; the header has "
                  "%(expected)s.") % {"row": number, "found": len(row),
                                      "expected": len(header)}, field="file")
    # Stored as UTF-8 with the newlines the CSV standard (RFC 4180) uses.
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8"), encoding, len(rows) - 1, header


def check_json(raw: bytes, *, geojson: bool) -> None:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed(_("The file is not valid JSON."), field="file") from None
    if geojson and not (isinstance(data, dict) and data.get("type") in (
            "FeatureCollection", "Feature", "Point", "MultiPoint", "LineString",
            "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection")):
        raise ValidationFailed(_("The file is JSON but not GeoJSON (it needs a “type” such as "
                                 "FeatureCollection)."), field="file")


def check_xlsx(raw: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        names = set()
    if "xl/workbook.xml" not in names:
        raise ValidationFailed(_("The file is not an Excel workbook (.xlsx)."), field="file")
    if any(name.lower().startswith("xl/vbaproject") for name in names):
        raise ValidationFailed(_("Workbooks with macros cannot be published."), field="file")


# The starts of markup a browser might render or run (HTML, SVG, XML with stylesheets). A CSV or
# JSON file that begins like this is a page under another name, and is refused whatever its
# format: it would parse as a one-column CSV.
MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml",
                 b"<iframe", b"<!--", b"<meta", b"<div", b"<p>", b"<a ", b"<img")


def looks_like_markup(raw: bytes) -> bool:
    start = raw[:1024].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    return start.startswith(MARKUP_STARTS)


def check_upload(raw: bytes, *, filename: str, declared_format: str = "") -> CheckedUpload:
    """Check an uploaded file and return what to store. Raises `ValidationFailed` with a
    translated message saying what is wrong; nothing is stored in that case."""
    if len(raw) > max_upload_bytes():
        raise ValidationFailed(
            _("The file is larger than %(limit)s MB.")
            % {"limit": max_upload_bytes() // (1024 * 1024)}, field="file")
    if not raw:
        raise ValidationFailed(_("The file is empty."), field="file")
    file_format = (declared_format or format_from_filename(filename)).upper()
    if file_format not in FORMATS:
        raise ValidationFailed(
            _("Only these formats can be uploaded: %(formats)s.")
            % {"formats": ", ".join(FORMATS)}, field="file")
    media_type, extension = FORMATS[file_format]
    if file_format != "PDF" and looks_like_markup(raw):
        raise ValidationFailed(_("The file looks like a web page (HTML or SVG), not data. "
                                 "Upload the data itself."), field="file")
    encoding, row_count, columns = "", None, None
    if file_format == "CSV":
        raw, encoding, row_count, columns = check_csv(raw)
    elif file_format in ("JSON", "GEOJSON"):
        check_json(raw, geojson=file_format == "GEOJSON")
    elif file_format == "XLSX":
        check_xlsx(raw)
    elif not raw.startswith(b"%PDF-"):
        raise ValidationFailed(_("The file is not a PDF."), field="file")
    return CheckedUpload(content=raw, format=file_format, mimetype=media_type,
                         extension=extension, size=len(raw),
                         sha256=hashlib.sha256(raw).hexdigest(), source_encoding=encoding,
                         row_count=row_count, columns=columns)
