"""Staff pages of the admission rounds: the list, a round's page, its imports, and its run:
"Run" asks for a background run (services.jobs) and the page shows its progress (a refresh
link without JavaScript; with htmx, the status is polled until the run ends)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityhall.core.errors import CityhallError, NotFoundError
from cityhall.core.permissions import can, staff_permission_required

from ..forms import ImportForm, PlacementFilterForm
from ..models import SELECTED_STATUSES, AdmissionRound, Nursery, Placement
from ..permissions import applications_visible_to
from ..services import imports, jobs, runs
from ..services.publication import LETTER_STATES
from ..services.tables import ImportFailed
from .online_staff import online_round_context

VIEW_ROUND = "childcare.view_admissionround"
IMPORT = "childcare.import_round"
RUN = "childcare.run_matching"
KINDS = {"capacities": imports.capacities_import, "applications": imports.applications_import}
TEMPLATES = {"capacities": imports.capacities_template,
             "applications": imports.applications_template}


def _round(round_id) -> AdmissionRound:
    try:
        return AdmissionRound.objects.select_related("points_table").get(pk=int(round_id))
    except (AdmissionRound.DoesNotExist, ValueError, OverflowError):
        raise NotFoundError() from None


@never_cache
@staff_permission_required(VIEW_ROUND)
def round_list(request):
    rows = []
    for round_ in AdmissionRound.objects.annotate(application_count=Count(
            "applications", filter=Q(
                applications__household__online_status__in=SELECTED_STATUSES))):
        active = jobs.active_run(round_)
        rows.append({"round": round_, "run": runs.latest_run(round_),
                     "active": active.get_state_display() if active else ""})
    return render(request, "childcare/staff/rounds.html", {"rows": rows})


def _figures(round_, run) -> dict:
    seats = round_.capacities.aggregate(total=Sum("seats"))["total"] or 0
    pooled = round_.seat_pools.aggregate(total=Sum("seats"))["total"] or 0
    applications = round_.applications.filter(
        household__online_status__in=SELECTED_STATUSES).count()  # online: once checked
    return {"applications": applications, "seats": seats, "pooled": pooled,
            "run": run, "blocking": len(run.blocking_coalitions) if run else None,
            "overridden": (Placement.objects.filter(run=run, overridden_at__isnull=False)
                           .count() if run else 0)}


def _placements(request, round_, run):
    nurseries = Nursery.objects.filter(pk__in=round_.capacities.values("nursery")).select_related(
        "facility").order_by("code")
    form = PlacementFilterForm(request.GET or None, nurseries=nurseries)
    if run is None:
        return form, None
    rows = (Placement.objects.filter(
        run=run, application__in=applications_visible_to(request.user, round_))
        .select_related("application__household", "nursery__facility",
                        "original_nursery").order_by("application__number"))
    if request.GET and form.is_valid():
        data = form.cleaned_data
        if data["nursery"]:
            rows = rows.filter(nursery__code=data["nursery"])
        if data["age_class"] is not None:
            rows = rows.filter(application__age_class=data["age_class"])
        rows = {"yes": lambda q: q.filter(nursery__isnull=False),
                "no": lambda q: q.filter(nursery__isnull=True),
                "blocking": lambda q: q.filter(in_blocking_coalition=True),
                "changed": lambda q: q.filter(overridden_at__isnull=False),
                }.get(data["placed"], lambda q: q)(rows)
    return form, Paginator(rows, 50).get_page(request.GET.get("page"))


def _progress(round_, run) -> dict | None:
    """The progress of the run asked for last, while it waits or runs, or when it failed
    after the latest result."""
    requested = jobs.latest_request(round_)
    if requested is None or requested.state == requested.State.DONE:
        return None
    if requested.state == requested.State.FAILED and run is not None and run.pk > requested.pk:
        return None
    return jobs.run_progress(requested)


def _round_context(request, round_, **extra) -> dict:
    run = runs.latest_run(round_)
    form, page = _placements(request, round_, run)
    user = request.user
    progress = _progress(round_, run)
    busy = progress is not None and progress["active"]
    context = {
        "round": round_, "figures": _figures(round_, run), "filter_form": form, "page": page,
        "progress": progress, "time_limit": int(jobs.matching_time_limit()),
        "can_import": can(user, IMPORT) and round_.state in imports.IMPORTABLE_STATES,
        "can_run": (can(user, RUN) and round_.state not in runs.CLOSED_STATES
                    and not busy),
        "can_confirm": (can(user, RUN) and round_.state == AdmissionRound.State.MATCHED
                        and not busy),
        # -- Publishing the result and the result letters --
        "can_publish": (can(user, RUN) and round_.state == AdmissionRound.State.CONFIRMED
                        and not busy),
        "can_print": can(user, RUN) and round_.state in LETTER_STATES,
        "letter_batch": round_.letter_batches.first() if can(user, RUN) else None,
        "capacities_form": ImportForm(prefix="capacities"),
        "applications_form": ImportForm(prefix="applications"),
        "import_errors": [], "import_kind": None,
    }
    context["online"] = online_round_context(request, round_)  # online applications
    context.update(extra)
    return context


@never_cache
@staff_permission_required(VIEW_ROUND)
def round_page(request, round_id):
    round_ = _round(round_id)
    if request.GET.get("progress"):
        return _progress_partial(request, round_)
    return render(request, "childcare/staff/round.html", _round_context(request, round_))


# htmx stops polling when the answer has this status.
STOP_POLLING = 286


def _progress_partial(request, round_):
    """The run's status alone, polled by htmx while the run waits or runs. The poll ends
    (status 286) with the final status and a link to the result."""
    requested = jobs.latest_request(round_)
    progress = jobs.run_progress(requested)
    response = render(request, "childcare/staff/_run_progress.html",
                      {"round": round_, "progress": progress, "polled": True})
    if progress is None or not progress["active"]:
        response.status_code = STOP_POLLING
    return response


@never_cache
@staff_permission_required(IMPORT)
def template_csv(request, kind):
    if kind not in TEMPLATES:
        raise NotFoundError()
    response = HttpResponse(TEMPLATES[kind](), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


@never_cache
@require_POST
@staff_permission_required(IMPORT)
def round_import(request, round_id, kind):
    if kind not in KINDS:
        raise NotFoundError()
    round_ = _round(round_id)
    form = ImportForm(request.POST, request.FILES, prefix=kind)
    errors: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count = KINDS[kind](round=round_, raw=upload.read(), filename=upload.name,
                                actor=request.user)
        except ImportFailed as error:
            errors = [str(row) for row in error.errors]
        except CityhallError as error:
            errors = [str(error.message)]
        else:
            if kind == "capacities":
                messages.success(request, _("Seats of %(count)d nurseries imported.")
                                 % {"count": count})
            else:
                messages.success(request, _("%(count)d applications imported.")
                                 % {"count": count})
            return redirect("childcare:round", round_id=round_.pk)
    round_.refresh_from_db()
    context = _round_context(request, round_, import_errors=errors, import_kind=kind)
    context[f"{kind}_form"] = form
    return render(request, "childcare/staff/round.html", context, status=400)


@never_cache
@require_POST
@staff_permission_required(RUN)
def round_run(request, round_id):
    round_ = _round(round_id)
    try:
        jobs.matching_run_request(round=round_, actor=request.user)
    except CityhallError as error:
        round_.refresh_from_db()
        return render(request, "childcare/staff/round.html",
                      _round_context(request, round_, error=error.message), status=400)
    messages.success(request, _("The matching run was asked for. A worker solves it in the "
                                "background: this page shows its progress."))
    return redirect("childcare:round", round_id=round_.pk)


@never_cache
@require_POST
@staff_permission_required(RUN)
def round_confirm(request, round_id):
    round_ = _round(round_id)
    try:
        runs.round_confirm(round=round_, actor=request.user)
    except CityhallError as error:
        round_.refresh_from_db()
        return render(request, "childcare/staff/round.html",
                      _round_context(request, round_, error=error.message), status=400)
    messages.success(request, _("The round's result is confirmed."))
    return redirect("childcare:round", round_id=round_.pk)
