"""The CKAN-to-CKAN harvester's gather loop (ckanext-harvest `ckanharvester.py`), re-run over
a catalogue of more than 200 datasets: rows=100, start += 100, sort=id asc, an fq of
organizations and `metadata_modified:[... TO *]`; it stops on an empty page and gives up
when two pages in a row are identical. Paging must be complete, without duplicates."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cityhall.opendata.models import Dataset

from .factories import organization

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def catalogue(minato):
    organizations = [organization(code) for code in ("disaster-management", "doboku")]
    rows = []
    for number in range(230):
        owner = organizations[number % 2]
        rows.append(Dataset(
            id=uuid.uuid4(), name=f"bulk-{number:04d}", title=f"データ{number}",
            organization=owner, search_text=f"bulk-{number:04d} データ{number}",
            metadata_created=BASE, metadata_modified=BASE + timedelta(minutes=number),
            # A few hidden ones: the harvester must never receive them.
            private=number % 23 == 0, state="draft" if number % 29 == 0 else "active"))
    Dataset.objects.bulk_create(rows)
    return rows


def gather(client, fq_terms: list[str]) -> list[dict]:
    """ckanext-harvest's `_search_for_datasets`, transcribed: pages until an empty one."""
    params = {"sort": "id asc", "rows": 100}
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    found, start, previous = [], 0, None
    while True:
        response = client.get("/api/3/action/package_search", {**params, "start": start})
        assert response.status_code == 200, response.content
        if previous is not None and response.content == previous:
            raise AssertionError("The paging doesn't seem to work")
        previous = response.content
        page = json.loads(response.content)["result"]["results"]
        if not page:
            return found
        for row in page:
            assert row["id"] and row["name"]
        found += page
        start += 100


def _public(rows):
    return {row.name for row in rows if not row.private and row.state == "active"}


def test_full_harvest_is_complete_and_without_duplicates(client, catalogue):
    found = gather(client, [])
    names = [row["name"] for row in found]
    assert len(names) == len(set(names))
    assert set(names) == _public(catalogue)
    assert len(names) > 200
    assert [row["id"] for row in found] == sorted(row["id"] for row in found)
    count = client.get("/api/3/action/package_search", {"rows": 0}).json()["result"]["count"]
    assert count == len(names)


def test_incremental_and_organization_filters(client, catalogue):
    since = BASE + timedelta(minutes=150, microseconds=123456)
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    newer = gather(client, [f"metadata_modified:[{stamp} TO *]"])
    expected = {row.name for row in catalogue
                if row.metadata_modified >= since} & _public(catalogue)
    assert {row["name"] for row in newer} == expected
    assert len(newer) == len(expected) > 0
    only = gather(client, ["organization:doboku OR organization:nobody"])
    assert {row["name"] for row in only} == {
        row.name for row in catalogue if row.organization.name == "doboku"} & _public(catalogue)
    without = gather(client, ["-organization:doboku"])
    assert {row["name"] for row in without} == {
        row.name for row in catalogue
        if row.organization.name == "disaster-management"} & _public(catalogue)
    both = gather(client, ["organization:doboku", f"metadata_modified:[{stamp} TO *]"])
    assert {row["name"] for row in both} == {row["name"] for row in only} & expected


def test_remote_org_and_group_lookups(client, catalogue):
    shown = client.get("/api/3/action/organization_show", {"id": "doboku"}).json()["result"]
    assert shown["name"] == "doboku" and shown["package_count"] == len(
        {row.name for row in catalogue if row.organization.name == "doboku"}
        & _public(catalogue))
