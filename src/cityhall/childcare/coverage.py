"""Immunisation coverage figures for staff (取組23: "Staff see coverage by age cohort and
branch office"): the selector that counts, and the tables staff see, with disclosure control.

Cohort = the fiscal year of birth (生まれ年度, born 1 April – 31 March). Japanese
immunisation statistics (接種率, 対象者数) are kept by 年度, a cohort keeps its name as it
ages (age-in-month bands would move children between bands every month, so figures of two
days could not be compared), and one cohort covers every series from the infant ones to MR
2期 and HPV as the children grow.

For each cohort × branch office (of the child's address) × series, the children for whom the
series applies are counted by the engine's status: complete, on schedule (due or upcoming),
overdue (past 標準 but still free), expired (the free period passed), and invalid (a dose that
does not count; the record needs checking). Counting runs the schedule engine once per child;
the daily run (`services.reminders.immunisation_daily_run`) does it for the reminders anyway
and stores the counts, so the page reads one row and says "as of" that day. Without a daily
run yet, the page counts live up to CHILDCARE_COVERAGE_LIVE_LIMIT children.

Only aggregates leave this module, and only after `disclosure.protect`: cells of fewer than
CHILDCARE_COVERAGE_MIN_CELL children (default 5) are hidden, and complementary cells so that
no hidden count follows from the totals. A staff member without `view_all_children` sees only
the rows of their own branch office, cut from the table protected as a whole (so the same
cell is never hidden in one view and computable in another).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .disclosure import protect
from .immunisation.engine import ChildRecord, schedule
from .immunisation.series import SERIES
from .models import ChildProfile, DoseAppointment, DoseRecord, ImmunisationDailyRun
from .series_names import series_name

BUCKETS = ("complete", "on_schedule", "overdue", "expired", "invalid")
BUCKET_LABELS = {
    "complete": _("Complete"),
    "on_schedule": _("On schedule (due or upcoming)"),
    "overdue": _("Overdue (still free)"),
    "expired": _("Expired (free period passed)"),
    "invalid": _("Invalid dose (record to check)"),
}
STATUS_BUCKETS = {"complete": "complete", "due": "on_schedule", "upcoming": "on_schedule",
                  "overdue": "overdue", "expired": "expired", "invalid_dose": "invalid"}
CHUNK = 1000
NO_BRANCH = None


def min_cell() -> int:
    return int(getattr(settings, "CHILDCARE_COVERAGE_MIN_CELL", 5))


def live_limit() -> int:
    return int(getattr(settings, "CHILDCARE_COVERAGE_LIVE_LIMIT", 5000))


def fiscal_year(day: datetime.date) -> int:
    """The fiscal year (年度, 1 April – 31 March) a date falls in."""
    return day.year if day.month >= 4 else day.year - 1


def children_in_chunks(queryset=None, *, size: int | None = None):
    """Every child as (row, the engine's ChildRecord), `size` children at a time: keyset
    pagination by primary key (constant memory, no OFFSET), three queries a chunk, plain
    tuples rather than model instances (the engine needs no more, and it is what makes the
    pass cost little more than the engine itself: bench/childcare_reminders_bench.py). `row`
    has id, date_of_birth, sex, branch_office_id and reminders."""
    size = size or CHUNK
    queryset = (queryset if queryset is not None else ChildProfile.objects.all()).order_by("pk")
    last = 0
    while True:
        children = list(queryset.filter(pk__gt=last).values_list(
            "id", "date_of_birth", "sex", "branch_office_id", "reminders", named=True)[:size])
        if not children:
            return
        first, last = children[0].id, children[-1].id
        doses, planned = defaultdict(list), defaultdict(list)
        for child_id, vaccine, product, given_on in DoseRecord.objects.filter(
                child_id__gte=first, child_id__lte=last).order_by("given_on", "pk").values_list(
                "child_id", "vaccine", "product", "given_on"):
            doses[child_id].append((vaccine, product or None, given_on))
        for child_id, series, planned_on in DoseAppointment.objects.filter(
                child_id__gte=first, child_id__lte=last).values_list(
                "child_id", "series", "planned_on"):
            planned[child_id].append((series, planned_on))
        yield [(child, ChildRecord(child.date_of_birth, child.sex, tuple(doses[child.id]),
                                   tuple(planned[child.id]))) for child in children]


def coverage_add(counts: dict, child, plan) -> None:
    """Add one child's plan to `counts` {(cohort, branch office id, series, bucket): n}."""
    cohort = fiscal_year(child.date_of_birth)
    for code, series_plan in plan.series.items():
        key = (cohort, child.branch_office_id, code, STATUS_BUCKETS[series_plan.status])
        counts[key] = counts.get(key, 0) + 1


def coverage_counts(*, today: datetime.date, queryset=None) -> dict:
    """Count every child (the engine once per child). For the daily run and small sites."""
    counts = {}
    for chunk in children_in_chunks(queryset):
        for child, record in chunk:
            coverage_add(counts, child, schedule(record, today=today))
    return counts


def counts_to_rows(counts: dict) -> list:
    return [[*key, n] for key, n in sorted(
        counts.items(), key=lambda item: (item[0][0], item[0][1] or 0, item[0][2], item[0][3]))]


def rows_to_counts(rows) -> dict:
    return {(cohort, branch, series, bucket): n for cohort, branch, series, bucket, n in rows}


@dataclass(frozen=True)
class CoverageSource:
    as_of: datetime.date
    live: bool  # counted now (no daily run yet)
    counts: dict


def coverage_source(*, today: datetime.date) -> CoverageSource | None:
    """The latest finished daily run's counts; else counted now if the site is small; else
    None (the figures appear after the first daily run)."""
    run = ImmunisationDailyRun.objects.filter(finished_at__isnull=False).order_by("-day") \
        .only("day", "coverage").first()
    if run is not None:
        return CoverageSource(run.day, False, rows_to_counts(run.coverage))
    if ChildProfile.objects.count() > live_limit():
        return None
    return CoverageSource(today, True, coverage_counts(today=today))


# --- the tables staff see ----------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    value: int | None  # None: hidden
    percent: str | None = None


@dataclass(frozen=True)
class Row:
    branch_id: int | None
    branch_code: str
    label: str
    children: Cell
    cells: tuple  # one Cell per bucket, in BUCKETS order
    is_total: bool = False


@dataclass(frozen=True)
class CoverageTable:
    cohort: int
    series: str
    series_name: str
    rows: tuple


def cohorts(counts: dict) -> list[int]:
    return sorted({key[0] for key in counts}, reverse=True)


def default_cohort(counts: dict, as_of: datetime.date) -> int | None:
    """Last fiscal year's births (aged about 0.5–2: the infant series), else the newest."""
    available = cohorts(counts)
    if not available:
        return None
    wanted = fiscal_year(as_of) - 1
    return wanted if wanted in available else available[0]


def _percent(part, whole):
    if part is None or not whole:
        return None
    return f"{100 * part / whole:.1f}"


def coverage_tables(counts: dict, *, cohort: int, series: str | None = None,
                    branches: list, branch_id: int | None = None, all_branches: bool = True,
                    min_count: int | None = None, total_label: str = "",
                    no_branch_label: str = "") -> list[CoverageTable]:
    """One protected table per series of `cohort` (or just `series`): a row per branch office
    with children, and the all-branches total. `branches` is [(id, code, label), ...] in
    display order. `all_branches=False` keeps only the row of `branch_id` (cut from the table
    protected whole) and no total."""
    min_count = min_cell() if min_count is None else min_count
    names = {branch_id_: (code, label) for branch_id_, code, label in branches}
    order = {branch_id_: i for i, (branch_id_, _c, _l) in enumerate(branches)}
    present = {key[2] for key in counts if key[0] == cohort}
    codes = [code for code in SERIES if code in present and (series in (None, "", code))]
    tables = []
    for code in codes:
        ids = sorted({key[1] for key in counts if key[0] == cohort and key[2] == code},
                     key=lambda b: (b is None, order.get(b, len(order)), b or 0))
        matrix = [[counts.get((cohort, b, code, bucket), 0) for bucket in BUCKETS]
                  for b in ids]
        protected = protect(matrix, min_count=min_count)
        rows = []
        for r, b in enumerate([*ids, "total"]):
            is_total = b == "total"
            if not all_branches and (is_total or b != branch_id):
                continue
            children = protected.shown(r, len(BUCKETS))
            cells = tuple(Cell(protected.shown(r, c), _percent(protected.shown(r, c), children))
                          for c in range(len(BUCKETS)))
            if is_total:
                branch_code, label = "", str(total_label)
            elif b is None:
                branch_code, label = "", str(no_branch_label)
            else:
                branch_code, label = names.get(b, ("", str(b)))
            rows.append(Row(None if is_total else b, branch_code, label, Cell(children),
                            cells, is_total))
        if rows:
            tables.append(CoverageTable(cohort, code, series_name(code), tuple(rows)))
    return tables
