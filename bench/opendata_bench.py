"""The open data catalogue's CKAN `package_search` with facets (取組27) over 5,000 datasets,
beside a same-run baseline of the equivalent raw SQL.

    uv run python bench/opendata_bench.py                  # scratch SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cityhall_bench \\
        uv run python bench/opendata_bench.py              # PostgreSQL (flushed)

BENCH_DATASETS datasets (default 5,000; bulk-inserted, not through the services: the bench
measures reading) over 20 organizations, 60 tags (three a dataset), four licences and one to
three resources each in CSV/JSON/GEOJSON/XLSX/PDF; one in ten private, one in fifty a draft.
Then BENCH_RUNS times (default 50) each of:
  1. GET /api/3/action/package_search through Django's test client (the whole request: the
     view, `selectors.dataset_search`, the dataset dicts and JSON) with
     facet.field=["organization","tags","res_format","license_id"], facet.limit=-1, rows=10,
     a q term and an fq (license_id:CC-BY-4.0);
  2. the baseline: the same answer's database work as plain SQL on one cursor — the count,
     the first page of ten ids, and the four facet counts (GROUP BY), with the same filters.
Both must agree on the count and the facet counts. Printed: median and p95 ms.
"""

import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

from benchsetup import percentiles, setup_django, timed_ms

DATASETS = int(os.environ.get("BENCH_DATASETS", "5000"))
RUNS = int(os.environ.get("BENCH_RUNS", "50"))
SEED = 27
TERM = "避難"
LICENCES = ["CC-BY-4.0", "CC-BY-4.0", "CC-BY-4.0", "cc-zero", "CC-BY-SA-4.0", "odc-by"]
FORMATS = ["CSV", "CSV", "JSON", "GEOJSON", "XLSX", "PDF"]
WORDS = ["避難所", "公園", "人口", "AED", "保育園", "図書館", "駐輪場", "ごみ", "予算", "観光"]


def create_catalogue(count: int) -> None:
    from cityhall.opendata.models import Dataset, Organization, Resource, Tag

    rng = random.Random(SEED)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    organizations = Organization.objects.bulk_create([
        Organization(name=f"dept-{number:02d}", title=f"部署{number:02d}")
        for number in range(20)])
    tags = Tag.objects.bulk_create([Tag(name=f"タグ{number:02d}") for number in range(60)])
    datasets, links, resources = [], [], []
    for number in range(count):
        word = WORDS[number % len(WORDS)]
        owner = organizations[number % len(organizations)]
        chosen = rng.sample(tags, 3)
        row = Dataset(
            id=uuid.uuid4(), name=f"dataset-{number:05d}", title=f"{word}一覧 {number}",
            notes=f"{owner.title}が公開する{word}のデータ", organization=owner,
            license_id=rng.choice(LICENCES), private=number % 10 == 3,
            state="draft" if number % 50 == 1 else "active",
            metadata_created=now - timedelta(days=number % 700),
            metadata_modified=now - timedelta(minutes=number))
        row.search_text = " ".join([row.name, row.title, row.notes, owner.title,
                                    *[tag.name for tag in chosen]]).lower()
        datasets.append(row)
        links += [Dataset.tags.through(dataset_id=row.id, tag_id=tag.id) for tag in chosen]
        for position in range(rng.randint(1, 3)):
            resources.append(Resource(dataset_id=row.id, position=position,
                                      name=f"ファイル{position}", format=rng.choice(FORMATS),
                                      kind=Resource.Kind.LINK,
                                      url=f"https://example.jp/{row.name}/{position}"))
    Dataset.objects.bulk_create(datasets, batch_size=1000)
    Dataset.tags.through.objects.bulk_create(links, batch_size=2000)
    Resource.objects.bulk_create(resources, batch_size=2000)


def raw_sql_search():
    """The answer's database work in plain SQL: count, first page, four facets."""
    from django.db import connection

    where = ("d.state = 'active' AND d.private = %s AND d.search_text LIKE %s "
             "AND d.license_id = %s")
    params = [False, f"%{TERM.lower()}%", "CC-BY-4.0"]
    matching = f"SELECT d.id FROM opendata_dataset d WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM opendata_dataset d WHERE {where}", params)
        count = cursor.fetchone()[0]
        cursor.execute(f"SELECT d.id, d.name, d.title FROM opendata_dataset d WHERE {where} "
                       "ORDER BY d.metadata_modified DESC, d.id LIMIT 10", params)
        page = cursor.fetchall()
        facets = {}
        cursor.execute("SELECT o.name, COUNT(*) FROM opendata_dataset d JOIN "
                       f"opendata_organization o ON o.id = d.organization_id WHERE {where} "
                       "GROUP BY o.name", params)
        facets["organization"] = dict(cursor.fetchall())
        cursor.execute("SELECT t.name, COUNT(*) FROM opendata_dataset_tags dt JOIN "
                       "opendata_tag t ON t.id = dt.tag_id "
                       f"WHERE dt.dataset_id IN ({matching}) GROUP BY t.name", params)
        facets["tags"] = dict(cursor.fetchall())
        cursor.execute("SELECT r.format, COUNT(DISTINCT r.dataset_id) FROM opendata_resource "
                       f"r WHERE r.state = 'active' AND r.format <> '' AND r.dataset_id IN "
                       f"({matching}) GROUP BY r.format", params)
        facets["res_format"] = dict(cursor.fetchall())
        cursor.execute(f"SELECT d.license_id, COUNT(*) FROM opendata_dataset d WHERE {where} "
                       "GROUP BY d.license_id", params)
        facets["license_id"] = dict(cursor.fetchall())
    return count, page, facets


def main():
    setup_django()
    from django.db import connection
    from django.test import Client

    create_catalogue(DATASETS)
    client = Client()
    params = {"q": TERM, "fq": "license_id:CC-BY-4.0", "rows": 10, "facet.limit": -1,
              "facet.field": json.dumps(["organization", "tags", "res_format", "license_id"])}

    def api():
        response = client.get("/api/3/action/package_search", params)
        assert response.status_code == 200, response.content[:300]
        return response.json()["result"]

    result = api()
    count, page, facets = raw_sql_search()
    assert result["count"] == count, (result["count"], count)
    assert len(result["results"]) == len(page) == min(10, count)
    for name, counts in facets.items():
        assert result["facets"][name] == {str(key): value for key, value in counts.items()}, name
    api_times = [timed_ms(api) for _ in range(RUNS)]
    sql_times = [timed_ms(raw_sql_search) for _ in range(RUNS)]
    print(f"opendata package_search over {DATASETS} datasets ({connection.vendor}), "
          f"{count} matching, {RUNS} runs:")
    for label, samples in (("API (package_search, 4 facets, q, fq)", api_times),
                           ("baseline: raw SQL (count, page, 4 facets)", sql_times)):
        median, p95 = percentiles(samples)
        print(f"  {label:45s} median {median:8.1f} ms   p95 {p95:8.1f} ms")
    ratio = percentiles(api_times)[0] / max(percentiles(sql_times)[0], 0.001)
    print(f"  API / raw SQL (median): {ratio:.1f}x")


if __name__ == "__main__":
    main()
