"""Previews of a resource on its page (取組27): the first rows of a CSV or an Excel sheet, the
first features of a GeoJSON file, the start of a JSON file.

Everything returned is plain data (strings, lists) that the template escapes: uploaded content
is never rendered as HTML. A preview reads only what it shows (the first rows), except GeoJSON
and JSON, which must be parsed whole and are therefore previewed only up to PARSE_MAX_BYTES.
A file that cannot be read gives no preview rather than an error: the download still works.
"""

import csv
import io
import itertools
import json
import logging
from dataclasses import dataclass, field

from .models import Resource

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
PREVIEW_COLUMNS = 40
CELL_MAX = 500  # characters shown of one cell
JSON_PREVIEW_CHARS = 4096
PARSE_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class Preview:
    kind: str  # "table", "geojson", "json", "none"
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    more_rows: bool = False  # the file has more rows than shown
    more_columns: bool = False
    text: str = ""  # for JSON
    truncated: bool = False
    reason: str = ""  # why there is no preview: "empty", "too_large", "unreadable", "format"


def _cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= CELL_MAX else text[:CELL_MAX] + "…"


def _table(rows_iter, *, header: bool = True) -> Preview:
    rows = [[_cell(value) for value in row] for row in itertools.islice(rows_iter,
                                                                        PREVIEW_ROWS + 2)]
    rows = [row for row in rows if any(row)] if rows else rows
    if not rows:
        return Preview("none", reason="empty")
    columns = rows[0] if header else []
    body = rows[1:] if header else rows
    width = max(len(row) for row in rows)
    more_columns = width > PREVIEW_COLUMNS
    width = min(width, PREVIEW_COLUMNS)
    columns = (columns + [""] * width)[:width]
    body = [(row + [""] * width)[:width] for row in body]
    return Preview("table", columns=columns, rows=body[:PREVIEW_ROWS],
                   more_rows=len(body) > PREVIEW_ROWS, more_columns=more_columns)


def _csv(resource: Resource) -> Preview:
    with resource.file.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
        return _table(csv.reader(text))


def _xlsx(resource: Resource) -> Preview:
    from openpyxl import load_workbook

    with resource.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0] if workbook.worksheets else None
            if sheet is None:
                return Preview("none", reason="empty")
            return _table(sheet.iter_rows(max_row=PREVIEW_ROWS + 2, values_only=True))
        finally:
            workbook.close()


def _load_json(resource: Resource):
    if (resource.size or resource.file.size) > PARSE_MAX_BYTES:
        return None
    with resource.file.open("rb") as handle:
        return json.loads(handle.read().decode("utf-8-sig"))


def _coordinates(geometry) -> tuple[str, str, str]:
    """(geometry type, latitude, longitude) for a point; other geometries give their type and
    the first position they contain."""
    if not isinstance(geometry, dict):
        return "", "", ""
    kind = str(geometry.get("type", ""))
    position = geometry.get("coordinates")
    while isinstance(position, list) and position and isinstance(position[0], list):
        position = position[0]
    if (isinstance(position, list) and len(position) >= 2
            and all(isinstance(value, int | float) for value in position[:2])):
        return kind, _cell(position[1]), _cell(position[0])
    return kind, "", ""


def _geojson(resource: Resource) -> Preview:
    data = _load_json(resource)
    if data is None:
        return Preview("geojson", reason="too_large")
    if isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    elif isinstance(data, dict) and isinstance(data.get("features"), list):
        features = data["features"]
    else:
        return Preview("geojson", reason="empty")
    shown = [feature for feature in features[:PREVIEW_ROWS] if isinstance(feature, dict)]
    keys: list[str] = []
    for feature in shown:
        properties = feature.get("properties")
        for key in properties if isinstance(properties, dict) else ():
            if key not in keys:
                keys.append(str(key))
    more_columns = len(keys) > PREVIEW_COLUMNS
    keys = keys[:PREVIEW_COLUMNS]
    rows = []
    for feature in shown:
        properties = feature.get("properties") if isinstance(
            feature.get("properties"), dict) else {}
        kind, latitude, longitude = _coordinates(feature.get("geometry"))
        value = [(_cell(properties.get(key)) if not isinstance(properties.get(key), dict | list)
                  else _cell(json.dumps(properties.get(key), ensure_ascii=False)))
                 for key in keys]
        rows.append([*value, kind, latitude, longitude])
    return Preview("geojson", columns=keys, rows=rows, more_rows=len(features) > len(shown),
                   more_columns=more_columns)


def _json(resource: Resource) -> Preview:
    data = _load_json(resource)
    if data is None:
        with resource.file.open("rb") as handle:
            text = handle.read(JSON_PREVIEW_CHARS).decode("utf-8", errors="replace")
        return Preview("json", text=text, truncated=True)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return Preview("json", text=text[:JSON_PREVIEW_CHARS],
                   truncated=len(text) > JSON_PREVIEW_CHARS)


BUILDERS = {"CSV": _csv, "XLSX": _xlsx, "GEOJSON": _geojson, "JSON": _json}


def resource_preview(resource: Resource) -> Preview:
    builder = BUILDERS.get((resource.format or "").upper())
    if builder is None or resource.kind == Resource.Kind.LINK:
        return Preview("none", reason="format")
    if not resource.file:
        return Preview("none", reason="empty")
    try:
        return builder(resource)
    except Exception:  # a broken or vanished file: no preview, the page still works
        logger.warning("No preview of resource %s", resource.pk, exc_info=True)
        return Preview("none", reason="unreadable")
