"""Immunisation coverage for staff (取組23): exact counts on a small population, disclosure
control (small cells and the cells that would give them away are hidden), who may see what
(anonymous, resident, staff without the permission, branch-scoped staff, all branches), and
the CSV in UTF-8 with BOM and in Shift_JIS."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from cityhall.childcare import coverage
from cityhall.childcare.disclosure import protect
from cityhall.childcare.models import ImmunisationDailyRun
from cityhall.childcare.services.reminders import immunisation_scan
from cityhall.core.models import AuditEvent, BranchOffice

from .imm_ops_fixtures import TODAY, staff_with

pytestmark = pytest.mark.django_db

URL = "/childcare/staff/immunisation/coverage/"


@pytest.fixture(autouse=True)
def _keep_the_language():
    before = translation.get_language()
    yield
    translation.activate(before) if before else translation.deactivate_all()


def ids():
    return {office.code: office.pk for office in BranchOffice.objects.all()}


def branches():
    return [(office.pk, office.code, office.name) for office in BranchOffice.objects.all()]


def table(tables, series):
    (found,) = [t for t in tables if t.series == series]
    return [(row.label, row.children.value, [cell.value for cell in row.cells],
             [cell.percent for cell in row.cells]) for row in found.rows]


@pytest.fixture
def snapshot(coverage_children):
    """The daily run of TODAY over the fixture's children."""
    scan = immunisation_scan(today=TODAY)
    return ImmunisationDailyRun.objects.create(
        day=TODAY, finished_at="2026-11-01T00:30:00Z", children=scan["children"],
        coverage=coverage.counts_to_rows(scan["coverage"]))


# --- the counts ------------------------------------------------------------------------------

def test_the_counts_are_exact(coverage_children):
    counts = coverage.coverage_counts(today=TODAY)
    b = ids()
    bcg = {key[1:]: n for key, n in counts.items() if key[0] == 2025 and key[2] == "bcg"}
    assert bcg == {
        (b["shiba"], "bcg", "complete"): 4, (b["shiba"], "bcg", "expired"): 2,
        (b["azabu"], "bcg", "complete"): 5, (b["azabu"], "bcg", "overdue"): 2,
        (b["azabu"], "bcg", "expired"): 1, (b["azabu"], "bcg", "invalid"): 1,
        (b["akasaka"], "bcg", "complete"): 1,
    }
    assert {key[0] for key in counts} == {2025, 2026}
    assert counts[(2026, b["shiba"], "bcg", "on_schedule")] == 1
    # Every child counts once per series that applies to it (boys: no HPV).
    assert sum(n for key, n in counts.items() if key[2] == "bcg") == 17
    assert not any(key[2] == "hpv" for key in counts)
    assert coverage.fiscal_year(coverage_children[0].date_of_birth) == 2025


def test_without_suppression_every_figure_and_percentage_is_shown(coverage_children):
    counts = coverage.coverage_counts(today=TODAY)
    tables = coverage.coverage_tables(counts, cohort=2025, series="bcg", branches=branches(),
                                      min_count=1, total_label="計")
    assert table(tables, "bcg") == [
        ("芝地区総合支所", 6, [4, 0, 0, 2, 0], ["66.7", "0.0", "0.0", "33.3", "0.0"]),
        ("麻布地区総合支所", 9, [5, 0, 2, 1, 1], ["55.6", "0.0", "22.2", "11.1", "11.1"]),
        ("赤坂地区総合支所", 1, [1, 0, 0, 0, 0], ["100.0", "0.0", "0.0", "0.0", "0.0"]),
        ("計", 16, [10, 0, 2, 3, 1], ["62.5", "0.0", "12.5", "18.8", "6.2"]),
    ]


def test_small_cells_and_the_cells_that_would_reveal_them_are_hidden(coverage_children):
    counts = coverage.coverage_counts(today=TODAY)
    tables = coverage.coverage_tables(counts, cohort=2025, series="bcg", branches=branches(),
                                      min_count=5, total_label="計")
    assert table(tables, "bcg") == [
        # 芝: complete 4 and expired 2 are small; on schedule (0) and the row's children are
        # hidden too, or they would be worked out from the totals.
        ("芝地区総合支所", None, [None, None, 0, None, 0], [None, None, None, None, None]),
        ("麻布地区総合支所", 9, [5, 0, None, None, None], ["55.6", "0.0", None, None, None]),
        # 赤坂 has one child: the whole row, zeros too.
        ("赤坂地区総合支所", None, [None] * 5, [None] * 5),
        ("計", 16, [10, 0, None, None, None], ["62.5", "0.0", None, None, None]),
    ]


@pytest.mark.parametrize("matrix", [
    [[4, 0, 0, 2, 0], [5, 0, 2, 1, 1], [1, 0, 0, 0, 0]],
    [[30, 3, 0], [40, 12, 7], [25, 9, 1]],
    [[1]],
    [[7, 0], [0, 8]],
    [[6, 2, 9, 11], [14, 3, 20, 8], [9, 9, 9, 9], [2, 50, 1, 60]],
])
def test_no_equation_of_a_protected_table_has_a_single_hidden_cell(matrix):
    protected = protect(matrix, min_count=5)
    grid, hidden = protected.values, protected.hidden
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if 0 < value < 5:
                assert hidden[r][c], (r, c)
    equations = [list(row) for row in hidden] + [list(col) for col in zip(*hidden,
                                                                           strict=True)]
    assert all(sum(equation) != 1 for equation in equations)
    # The grid's margins are the sums of what they total.
    assert all(sum(row[:-1]) == row[-1] for row in grid)
    assert all(sum(col[:-1]) == col[-1] for col in zip(*grid, strict=True))


def test_a_branch_scoped_view_is_cut_from_the_table_protected_whole(coverage_children):
    counts = coverage.coverage_counts(today=TODAY)
    whole = coverage.coverage_tables(counts, cohort=2025, branches=branches(), min_count=5)
    azabu = coverage.coverage_tables(counts, cohort=2025, branches=branches(), min_count=5,
                                     branch_id=ids()["azabu"], all_branches=False)
    assert [t.series for t in whole] == [t.series for t in azabu]
    for full, own in zip(whole, azabu, strict=True):
        (row,) = own.rows
        assert row in full.rows and row.branch_code == "azabu" and not row.is_total


# --- the page: who may see what ----------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in(client, snapshot):
    for url in (URL, reverse("childcare:immunisation_coverage_csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_residents_and_staff_without_the_permission_are_refused(client, snapshot, hanako,
                                                                shiba_clerk):
    before = AuditEvent.objects.count()
    for user in (hanako.user, shiba_clerk):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.get(reverse("childcare:immunisation_coverage_csv"),
                          {"cohort": 2025, "encoding": "utf-8"}).status_code == 403
    assert AuditEvent.objects.filter(action="childcare.coverage.export").count() == 0
    assert AuditEvent.objects.count() >= before


def test_all_branches_staff_see_every_branch_and_the_total(client, snapshot, coverage_officer):
    client.force_login(coverage_officer)
    response = client.get(URL, {"cohort": 2025, "series": "bcg"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("芝地区総合支所", "麻布地区総合支所", "赤坂地区総合支所"):
        assert name in text
    tables = response.context["tables"]
    assert [t.series for t in tables] == ["bcg"]
    assert tables[0].rows[-1].is_total and tables[0].rows[-1].children.value == 16
    assert "2026-11-01" in text  # "as of" the daily run
    assert "港 みらい" not in text  # no personal data


def test_the_default_cohort_is_last_fiscal_years_births(client, snapshot, coverage_officer):
    client.force_login(coverage_officer)
    response = client.get(URL)
    assert response.context["cohort"] == 2025
    assert len(response.context["tables"]) == 10  # every series a boy born in FY2025 has
    other = client.get(URL, {"cohort": 2026})
    assert other.context["tables"][0].rows[-1].children.value is None  # one child: hidden


def test_branch_scoped_staff_see_their_own_branch_office_only(client, snapshot, shiba_manager):
    client.force_login(shiba_manager)  # 支所長 of 芝: view_coverage, not view_all_children
    response = client.get(URL, {"cohort": 2025, "series": "bcg"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "麻布地区総合支所" not in text and "赤坂地区総合支所" not in text
    (bcg,) = response.context["tables"]
    assert [(row.branch_code, row.is_total) for row in bcg.rows] == [("shiba", False)]


def test_staff_without_a_branch_office_and_without_all_branches_see_no_rows(client, snapshot):
    user = staff_with("view_coverage", branch="main")
    client.force_login(user)
    response = client.get(URL, {"cohort": 2025})
    assert response.status_code == 200 and response.context["tables"] == []


def test_bad_filters_get_a_400_and_no_figures(client, snapshot, coverage_officer):
    client.force_login(coverage_officer)
    for query in ({"cohort": "1999"}, {"cohort": "abc"}, {"series": "nope"},
                  {"cohort": 2025, "encoding": "latin-1"}):
        response = client.get(URL, query)
        assert response.status_code == 400, query
        assert response.context["tables"] == []
    assert client.get(reverse("childcare:immunisation_coverage_csv"),
                      {"cohort": "x"}).status_code == 400
    assert AuditEvent.objects.filter(action="childcare.coverage.export").count() == 0


def test_without_a_daily_run_a_small_site_is_counted_live(client, coverage_children,
                                                          coverage_officer, settings):
    client.force_login(coverage_officer)
    response = client.get(URL)
    assert response.status_code == 200 and response.context["source"].live
    settings.CHILDCARE_COVERAGE_LIVE_LIMIT = 3
    response = client.get(URL)
    assert response.status_code == 200 and response.context["source"] is None


# --- the CSV ---------------------------------------------------------------------------------

def read_csv(raw: bytes, encoding: str):
    return list(csv.reader(io.StringIO(raw.decode(encoding))))


@pytest.mark.parametrize(("encoding", "codec", "charset"), [
    ("utf-8", "utf-8-sig", "utf-8"), ("cp932", "cp932", "shift_jis")])
def test_the_csv_downloads_in_utf8_with_bom_and_in_shift_jis(client, snapshot,
                                                             coverage_officer, encoding,
                                                             codec, charset):
    client.force_login(coverage_officer)
    response = client.get(reverse("childcare:immunisation_coverage_csv"),
                          {"cohort": 2025, "series": "bcg", "encoding": encoding},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == f"text/csv; charset={charset}"
    assert f"immunisation-coverage-2025-bcg-{encoding}.csv" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")
    rows = read_csv(raw, codec)
    assert rows[0][:6] == ["生まれ年度", "支所コード", "支所", "ワクチンコード", "ワクチン",
                           "対象者数"]
    assert rows[1:] == [
        ["2025", "shiba", "芝地区総合支所", "bcg", "BCG（結核）", "x", "x", "x", "x", "x", "0", "",
         "x", "x", "0", ""],
        ["2025", "azabu", "麻布地区総合支所", "bcg", "BCG（結核）", "9", "5", "55.6", "0", "0.0",
         "x", "x", "x", "x", "x", "x"],
        ["2025", "akasaka", "赤坂地区総合支所", "bcg", "BCG（結核）", "x", "x", "x", "x", "x", "x",
         "x", "x", "x", "x", "x"],
        ["2025", "", "全支所計", "bcg", "BCG（結核）", "16", "10", "62.5", "0", "0.0", "x", "x",
         "x", "x", "x", "x"],
    ]
    (event,) = AuditEvent.objects.filter(action="childcare.coverage.export")
    assert event.details == {"cohort": 2025, "series": "bcg", "rows": 4,
                             "encoding": encoding, "scope": "all"}


def test_the_branch_scoped_csv_has_the_own_branch_only(client, snapshot, shiba_manager):
    client.force_login(shiba_manager)
    response = client.get(reverse("childcare:immunisation_coverage_csv"),
                          {"cohort": 2025, "encoding": "utf-8"})
    rows = read_csv(response.content, "utf-8-sig")[1:]
    assert {row[1] for row in rows} == {"shiba"} and len(rows) == 10
    assert AuditEvent.objects.get(action="childcare.coverage.export").details["scope"] == \
        "branch"


def test_the_back_office_links_the_page_for_those_who_may_open_it(client, shiba_manager,
                                                                  shiba_clerk):
    client.force_login(shiba_manager)
    assert URL in client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.force_login(shiba_clerk)
    assert URL not in client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
