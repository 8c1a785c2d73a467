"""The shelter status API (取組12) and its open data.

`public_router` is mounted by `cityhall.api` at exactly /api/v1/shelters: JSON (default),
GeoJSON (`format=geojson`, or `Accept: application/geo+json`) and CSV for open data
(`format=csv`, `encoding=utf-8` with a BOM or `cp932` for Excel), filtered by `open`,
`hazard`, `kind` and `near=lat,lon` (sorted by distance; a point outside Japan is refused).
`router` (under /api/v1/disaster/shelters/) gives one shelter by its 共通ID.

Responses are built once per status version and cached (the services replace the version
after every change), carry an ETag and Last-Modified and answer 304 to a client whose copy is
current; JSON is compact and gzipped when the client accepts it.
"""

import csv
import hashlib
import io
import json

from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.gzip import gzip_page
from ninja import Query, Router, Schema
from ninja.decorators import decorate_view

from cityhall.core.errors import ValidationFailed
from cityhall.core.services import GSI_SOURCE

from ..selectors import shelters as selectors
from ..services import shelters as services
from ..views.shelters import cache_token, not_modified, with_validators

router = Router(tags=["shelters"])
public_router = Router(tags=["shelters"])

API_MAX_AGE = 30  # seconds a client or proxy may reuse a response: the public sees a change
#                   within a minute even through a proxy
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932", "shift_jis": "cp932"}
CSV_COLUMNS = [
    # 共通ID and the GSI names first, so the file joins with the national data.
    ("共通ID", "id"), ("施設・場所名", "name"), ("種別", "kind_label"), ("住所", "address"),
    ("緯度", "lat"), ("経度", "lon"), ("総合支所", "branch_office_name"),
    ("対象とする災害", "hazards_ja"), ("福祉避難所", "welfare_ja"), ("開設状況", "open_ja"),
    ("混雑状況", "crowding_ja"), ("避難者数", "head_count"), ("収容人数", "capacity"),
    ("ペット同伴", "pets_ja"), ("物資", "supplies"), ("備考", "notes"),
    ("更新日時", "updated_at"),
]
CROWDING_JA = {"available": "空いています", "somewhat_crowded": "やや混雑", "crowded": "混雑",
               "full": "満員"}
HAZARD_JA = {"flood": "洪水", "landslide": "崖崩れ、土石流及び地滑り", "storm_surge": "高潮",
             "earthquake": "地震", "tsunami": "津波", "large_fire": "大規模な火事",
             "inland_flood": "内水氾濫", "volcano": "火山現象"}
KIND_JA = {"shelter": "指定避難所", "evacuation_site": "指定緊急避難場所"}


class ShelterFilters(Schema):
    open: bool | None = None
    hazard: str | None = None
    kind: str | None = None
    near: str | None = None
    format: str = "json"
    encoding: str = "utf-8"


def _record(row) -> dict:
    status = row.status
    facility = row.facility
    return {
        "id": facility.code, "name": facility.name, "name_kana": facility.name_kana,
        "kind": facility.kind, "address": facility.address, "lat": row.lat, "lon": row.lon,
        "branch_office": facility.branch_office.code if facility.branch_office else None,
        "branch_office_name": facility.branch_office.name if facility.branch_office else "",
        "hazards": row.hazards, "welfare_shelter": row.is_welfare, "open": row.is_open,
        "crowding": row.crowding or None,
        "head_count": status.head_count if row.is_open and status else None,
        "capacity": status.capacity if status else None,
        "capacity_is_demo": bool(status and status.capacity_is_demo),
        "pets_allowed": status.pets_allowed if status else None,
        "supplies": status.supplies if status else "",
        "notes": status.notes if status else "",
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        **({"distance_m": round(row.distance_m)} if row.distance_m is not None else {}),
    }


def _dump(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _body_json(rows, version) -> bytes:
    return _dump({"updated_at": version["modified"].isoformat() if version["modified"]
                  else None, "count": len(rows), "source": GSI_SOURCE,
                  "shelters": [_record(row) for row in rows]})


def _body_geojson(rows, version) -> bytes:
    features = []
    for row in rows:
        record = _record(row)
        lat, lon = record.pop("lat"), record.pop("lon")
        features.append({"type": "Feature", "id": record["id"],
                         "geometry": {"type": "Point", "coordinates": [lon, lat]}
                         if lat is not None else None, "properties": record})
    return _dump({"type": "FeatureCollection", "features": features,
                  "updated_at": version["modified"].isoformat() if version["modified"]
                  else None, "source": GSI_SOURCE})


def _cell(value):
    """A CSV cell; text that a spreadsheet would run as a formula (staff-entered notes) is
    prefixed with an apostrophe, so that opening the open data file runs nothing."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _body_csv(rows, encoding) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _key in CSV_COLUMNS])
    for row in rows:
        record = _record(row)
        record.update({
            "kind_label": KIND_JA.get(record["kind"], record["kind"]),
            "hazards_ja": "・".join(HAZARD_JA.get(h, h) for h in record["hazards"]),
            "welfare_ja": "○" if record["welfare_shelter"] else "",
            "open_ja": "開設" if record["open"] else "未開設",
            "crowding_ja": CROWDING_JA.get(record["crowding"] or "", ""),
            "pets_ja": {True: "可", False: "不可"}.get(record["pets_allowed"], ""),
        })
        writer.writerow([_cell(record.get(key)) for _header, key in CSV_COLUMNS])
    writer.writerow([])
    writer.writerow([GSI_SOURCE])
    return buffer.getvalue().encode(CSV_ENCODINGS[encoding], errors="replace")


def _normalise(filters: ShelterFilters, request) -> dict:
    fmt = (filters.format or "json").lower()
    if fmt == "json" and "application/geo+json" in request.headers.get("Accept", ""):
        fmt = "geojson"
    if fmt not in ("json", "geojson", "csv"):
        raise ValidationFailed(_("Unknown format: use json, geojson or csv."),
                               code="unknown_format", field="format")
    encoding = (filters.encoding or "utf-8").lower()
    if encoding not in CSV_ENCODINGS:
        raise ValidationFailed(_("Unknown encoding: use utf-8 or cp932."),
                               code="unknown_encoding", field="encoding")
    kind = filters.kind or ""
    if kind and kind not in ("shelter", "evacuation_site"):
        raise ValidationFailed(_("Unknown kind: use shelter or evacuation_site."),
                               code="unknown_kind", field="kind")
    near = selectors.parse_point(filters.near) if filters.near else None
    return {"format": fmt, "encoding": CSV_ENCODINGS[encoding] if fmt == "csv" else "",
            "open": bool(filters.open), "hazard": selectors.check_hazard(filters.hazard),
            "kind": kind, "near": near}


@public_router.get("", summary="Shelters and evacuation sites with their live status",
                   response={200: dict, 304: None, 400: dict, 422: dict})
@decorate_view(gzip_page)
def shelter_collection(request, filters: Query[ShelterFilters]):
    """JSON, GeoJSON or CSV of Minato's 83 designated shelters and 61 emergency evacuation
    sites (出典：国土地理院) with whether each is open, its crowding and when it was last
    updated. Open ones first; nearest first with `near=lat,lon`."""
    options = _normalise(filters, request)
    etag, modified = cache_token(request, "api", sorted(options.items()),
                                 by_language=False)
    response = not_modified(request, etag, modified)
    if response is not None:
        return response
    version = services.shelters_cache_version()
    key = "disaster:shelters:api:" + hashlib.sha256(
        f"{version['token']}|{sorted(options.items())}".encode()).hexdigest()
    body = cache.get(key)
    if body is None:
        rows = selectors.shelter_rows(open_only=options["open"], hazard=options["hazard"],
                                      kind=options["kind"], near=options["near"])
        if options["format"] == "csv":
            body = _body_csv(rows, "cp932" if options["encoding"] == "cp932" else "utf-8")
        elif options["format"] == "geojson":
            body = _body_geojson(rows, version)
        else:
            body = _body_json(rows, version)
        cache.set(key, body, 300)
    if options["format"] == "csv":
        cp932 = options["encoding"] == "cp932"
        response = HttpResponse(
            body, content_type=f"text/csv; charset={'shift_jis' if cp932 else 'utf-8'}")
        response["Content-Disposition"] = (
            f'attachment; filename="minato-shelters-{"cp932" if cp932 else "utf-8"}.csv"')
    else:
        content_type = ("application/geo+json" if options["format"] == "geojson"
                        else "application/json")
        response = HttpResponse(body, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    with_validators(response, etag, modified, max_age=API_MAX_AGE, vary=(), shared=True)
    patch_vary_headers(response, ["Accept"])
    return response


@router.get("{code}", summary="One shelter by its 共通ID", response={200: dict, 404: dict})
def shelter_one(request, code: str):
    facility = services.shelter_get(code)
    return _record(selectors.shelter_row(facility))
