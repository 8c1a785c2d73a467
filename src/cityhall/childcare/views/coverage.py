"""Staff page of immunisation coverage (取組23): by birth cohort, branch office and series,
with small numbers hidden (coverage.py, disclosure.py), and its CSV download in UTF-8 (BOM)
or Shift_JIS (cp932) for Excel. Thin: parse the filter, pick the scope, render."""

import csv
import io

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cityhall.core.permissions import can, staff_branch_office_id, staff_permission_required
from cityhall.core.selectors import branch_offices

from .. import coverage
from ..immunisation.series import SERIES
from ..permissions import VIEW_ALL_CHILDREN
from ..series_names import series_name
from ..services.coverage import VIEW_COVERAGE, coverage_export_record

ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
CSV_BUCKETS = {"complete": "完了", "on_schedule": "予定どおり（接種時期・接種前）",
               "overdue": "標準期間経過（定期接種期間内）", "expired": "定期接種期間終了",
               "invalid": "要確認（無効な接種）"}


def cohort_label(year: int) -> str:
    return _("Born in fiscal year %(year)s (April %(year)s – March %(next)s)") % {
        "year": year, "next": year + 1}


class CoverageFilterForm(forms.Form):
    cohort = forms.TypedChoiceField(label=gettext_lazy("Birth cohort (年度)"), coerce=int,
                                    required=False, empty_value=None)
    series = forms.ChoiceField(label=gettext_lazy("Vaccine"), required=False)
    encoding = forms.ChoiceField(required=False, choices=[
        ("utf-8", "UTF-8"), ("cp932", "Shift_JIS")])

    def __init__(self, *args, cohorts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [(year, cohort_label(year)) for year in cohorts]
        self.fields["series"].choices = [("", _("All vaccines"))] + [
            (code, series_name(code)) for code in SERIES]


def _scope(user):
    """(all branch offices?, own branch office id)."""
    return can(user, VIEW_ALL_CHILDREN), staff_branch_office_id(user)


def _branches():
    english = not (get_language() or "ja").startswith("ja")
    return [(office.pk, office.code, office.name_en if english else office.name)
            for office in branch_offices()]


def _figures(request):
    source = coverage.coverage_source(today=timezone.localdate())
    counts = source.counts if source else {}
    form = CoverageFilterForm(request.GET or None, cohorts=coverage.cohorts(counts))
    context = {"form": form, "source": source, "tables": [], "cohort": None,
               "buckets": [(key, coverage.BUCKET_LABELS[key]) for key in coverage.BUCKETS],
               "min_cell": coverage.min_cell()}
    if source is None or (request.GET and not form.is_valid()):
        return context
    data = form.cleaned_data if request.GET else {}
    cohort = data.get("cohort") or coverage.default_cohort(counts, source.as_of)
    all_branches, own = _scope(request.user)
    context["all_branches"] = all_branches
    context["own_branch"] = next((label for pk, _code, label in _branches() if pk == own), "")
    if cohort is None or (not all_branches and own is None):
        return context
    context["cohort"] = cohort
    context["cohort_label"] = cohort_label(cohort)
    context["series"] = data.get("series") or ""
    context["tables"] = coverage.coverage_tables(
        counts, cohort=cohort, series=data.get("series") or None, branches=_branches(),
        branch_id=own, all_branches=all_branches, total_label=_("All branch offices"),
        no_branch_label=_("Branch office not recorded"))
    return context


@never_cache
@staff_permission_required(VIEW_COVERAGE)
def immunisation_coverage(request):
    context = _figures(request)
    status = 400 if context["form"].errors else 200
    return render(request, "childcare/staff/coverage.html", context, status=status)


def _cell(cell):
    return "x" if cell.value is None else cell.value


def coverage_csv(tables, *, cohort: int, encoding: str) -> tuple[bytes, int]:
    """The tables as CSV in Japanese (headers and names, for the offices' Excel), "x" for a
    hidden cell; and the number of rows."""
    names = {office.pk: office.name for office in branch_offices()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = ["生まれ年度", "支所コード", "支所", "ワクチンコード", "ワクチン", "対象者数"]
    for key in coverage.BUCKETS:
        header += [CSV_BUCKETS[key], f"{CSV_BUCKETS[key]}（%）"]
    writer.writerow(header)
    count = 0
    with translation.override("ja"):
        for table in tables:
            vaccine = series_name(table.series)
            for row in table.rows:
                if row.is_total:
                    label = "全支所計"
                elif row.branch_id is None:
                    label = "支所未登録"
                else:
                    label = names.get(row.branch_id, row.label)
                line = [cohort, row.branch_code, label, table.series, vaccine,
                        _cell(row.children)]
                for cell in row.cells:
                    line += [_cell(cell), cell.percent if cell.percent is not None else
                             ("x" if cell.value is None else "")]
                writer.writerow(line)
                count += 1
    return buffer.getvalue().encode(ENCODINGS[encoding], errors="replace"), count


@never_cache
@staff_permission_required(VIEW_COVERAGE)
def immunisation_coverage_csv(request):
    context = _figures(request)
    if context["form"].errors or context["cohort"] is None:
        return render(request, "childcare/staff/coverage.html", context, status=400)
    encoding = getattr(context["form"], "cleaned_data", {}).get("encoding") or "utf-8"
    body, rows = coverage_csv(context["tables"], cohort=context["cohort"], encoding=encoding)
    coverage_export_record(actor=request.user, cohort=context["cohort"],
                           series=context["series"], rows=rows, encoding=encoding,
                           scope="all" if context["all_branches"] else "branch")
    cp932 = encoding == "cp932"
    response = HttpResponse(body, content_type=f"text/csv; charset="
                                               f"{'shift_jis' if cp932 else 'utf-8'}")
    response["Content-Disposition"] = (
        f'attachment; filename="immunisation-coverage-{context["cohort"]}-'
        f'{context["series"] or "all"}-{encoding}.csv"')
    return response
