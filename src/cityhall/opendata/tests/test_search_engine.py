"""The catalogue's search engine (`selectors.dataset_search`) and the filter-query parser: the
one engine behind the catalogue pages, CKAN's package_search and DCAT's paged catalogue."""

from datetime import UTC, datetime, timedelta

import pytest

from cityhall.opendata import services
from cityhall.opendata.models import Dataset
from cityhall.opendata.selectors import (
    MAX_ROWS,
    SearchQueryError,
    dataset_search,
    parse_filter_query,
    parse_sort,
)

from .factories import csv_resource, dataset

pytestmark = pytest.mark.django_db


def names(result):
    return [row.name for row in result.datasets]


def test_parser_reads_the_fq_terms_harvesters_send():
    clauses, words = parse_filter_query(
        'organization:a OR organization:b -organization:c tags:"二 語" '
        'metadata_modified:[2026-01-01T00:00:00.123456Z TO *] 公園')
    assert words == ["公園"]
    assert [(tuple((t.field, t.value) for t in c.terms), c.negate) for c in clauses[:3]] == [
        ((("organization", "a"), ("organization", "b")), False),
        ((("organization", "c"),), True),
        ((("tags", "二 語"),), False),
    ]
    range_term = clauses[3].terms[0]
    assert range_term.is_range and range_term.high is None
    assert range_term.low == datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("text", ["nosuchfield:1", "organization:a OR", "OR tags:x",
                                  "metadata_modified:[yesterday TO *]", "tags:[a TO b]",
                                  'tags:"unclosed'])
def test_parser_refuses_what_it_cannot_read(text):
    with pytest.raises(SearchQueryError):
        parse_filter_query(text)


def test_all_and_empty_queries_mean_no_filter():
    assert parse_filter_query("*:*") == ([], [])
    assert parse_filter_query("") == ([], [])


def test_sort_always_ends_with_the_id_and_refuses_unknown_keys():
    assert parse_sort("id asc") == ["id"]
    assert parse_sort("metadata_modified desc") == ["-metadata_modified", "id"]
    assert parse_sort(None) == ["-score", "-metadata_modified", "id"]
    for bad in ("password asc", "name sideways", "name asc extra"):
        with pytest.raises(SearchQueryError):
            parse_sort(bad)


def test_text_search_finds_japanese_substrings_and_full_width_forms(minato):
    shelters = dataset(title="指定避難所一覧", tags=("防災",))
    dataset(title="公園一覧", tags=("公園",), organization_code="doboku")
    assert names(dataset_search(q="避難所")) == [shelters.name]
    # Full-width "ＡＥＤ" finds a half-width "AED" title (NFKC on both sides).
    aed = dataset(title="AED設置箇所一覧", tags=("医療",))
    assert names(dataset_search(q="ＡＥＤ")) == [aed.name]
    assert names(dataset_search(q="避難所 公園")) == []


def test_filters_and_facets(minato):
    first = dataset(title="避難所一覧", tags=("防災", "避難所"))
    second = dataset(title="公園一覧", tags=("公園",), organization_code="doboku")
    csv_resource(first)
    result = dataset_search(fq="tags:防災", facet_fields=["organization", "tags",
                                                         "res_format", "license_id"])
    assert names(result) == [first.name]
    assert {item.name: item.count for item in result.facets["tags"]} == {"防災": 1,
                                                                          "避難所": 1}
    assert [(item.name, item.count) for item in result.facets["res_format"]] == [("CSV", 1)]
    assert result.facets["license_id"][0].name == "CC-BY-4.0"
    excluded = dataset_search(fq="-organization:disaster-management", rows=10)
    assert names(excluded) == [second.name]
    either = dataset_search(fq="organization:doboku OR organization:disaster-management")
    assert either.count == 2
    assert dataset_search(fq="res_format:csv").count == 1


def test_private_draft_and_deleted_datasets_stay_hidden(minato, officer, disaster_editor,
                                                        clerk):
    public = dataset(title="公開データ")
    private = dataset(title="非公開データ", private=True)
    draft = dataset(title="下書きデータ", state="draft")
    gone = dataset(title="削除データ")
    services.dataset_delete(actor=None, dataset=gone)
    for user in (None, clerk):
        result = dataset_search(user=user, include_private=True, include_drafts=True)
        assert names(result) == [public.name]
    # The disaster office's editor sees its own private and draft datasets when asked.
    mine = dataset_search(user=disaster_editor, include_private=True, include_drafts=True,
                          sort="name asc")
    assert set(names(mine)) == {public.name, private.name, draft.name}
    assert names(dataset_search(user=disaster_editor)) == [public.name]
    # An editor of another department does not.
    other = dataset(title="公園", organization_code="doboku", private=True)
    assert other.name not in names(dataset_search(user=disaster_editor,
                                                  include_private=True))
    assert other.name in names(dataset_search(user=officer, include_private=True))


def test_paging_by_id_is_stable_and_complete(minato):
    made = {dataset(title=f"データ{number}").name for number in range(7)}
    seen = []
    start = 0
    while True:
        page = dataset_search(sort="id asc", rows=3, start=start)
        if not page.datasets:
            break
        seen += names(page)
        start += len(page.datasets)
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == made


def test_rows_are_capped_and_negative_numbers_refused(minato):
    dataset()
    assert len(dataset_search(rows=MAX_ROWS + 5000).datasets) == 1
    with pytest.raises(SearchQueryError):
        dataset_search(rows=-1)
    with pytest.raises(SearchQueryError):
        dataset_search(facet_fields=["password"])


def test_metadata_modified_range(minato):
    old = dataset(title="古い")
    new = dataset(title="新しい")
    Dataset.objects.filter(pk=old.pk).update(
        metadata_modified=datetime(2025, 1, 1, tzinfo=UTC))
    since = (new.metadata_modified - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert names(dataset_search(fq=f"metadata_modified:[{since} TO *]")) == [new.name]


def test_a_title_match_ranks_above_a_description_match(minato):
    in_notes = dataset(title="施設一覧", notes="避難所を含む")
    in_title = dataset(title="避難所一覧")
    assert names(dataset_search(q="避難所")) == [in_title.name, in_notes.name]
