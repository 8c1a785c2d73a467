"""Staff page of one child's application: the score, the wishes with why each was not
given, the placement, and the overrides of the child alone or of the whole family (all
through the audited door)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityhall.core.errors import CityhallError
from cityhall.core.permissions import can, staff_permission_required

from ..forms import NONE, HouseholdOverrideForm, OverrideForm
from ..models import AdmissionRound, Placement
from ..permissions import access_application
from ..selectors import round_explanations
from ..services import runs
from ..services.priority import tie_break_rules_of
from ..services.publication import LETTER_STATES
from .online_staff import online_application_context
from .text import RULE_LABELS, wish_statuses

VIEW = "childcare.view_application"


def _family(application, run) -> list[dict]:
    """Every child of the household with their placement in `run`."""
    children = sorted(application.household.applications.select_related("current_nursery"),
                      key=lambda child: (child.date_of_birth, child.pk))
    placements = ({row.application_id: row for row in Placement.objects.filter(
        run=run, application__in=children).select_related("nursery")} if run else {})
    return [{"application": child, "placement": placements.get(child.pk)}
            for child in children]


def _household_form(application, run, data=None):
    family = _family(application, run)
    choices = runs.household_choices(row["application"] for row in family)
    current = {row["placement"].nursery.code if row["placement"] and row["placement"].nursery
               else NONE for row in family}
    initial = {"nursery": current.pop()} if len(current) == 1 else {}
    return family, choices, HouseholdOverrideForm(data, nurseries=choices, initial=initial)


def _context(request, application, form=None, error=None, household_form=None,
             household_error=None) -> dict:
    round_ = application.round
    run = runs.latest_run(round_)
    placement = (Placement.objects.filter(run=run, application=application)
                 .select_related("nursery__facility", "original_nursery__facility",
                                 "overridden_by").first() if run else None)
    wishes = list(application.wishes.select_related("nursery__facility"))
    # Adjustments at one nursery (施設別加点): they count only there.
    at_nursery = list(application.points.filter(nursery__isnull=False)
                      .select_related("item", "nursery__facility"))
    item_labels = {item.code: item.label for item in round_.points_table.items.all()}
    explanation = None
    if placement is not None:
        explanation = round_explanations(round_, run).get(str(application.pk))
    rows = wish_statuses(wishes, placement, explanation, tie_break_rules_of(round_),
                         RULE_LABELS, application=application, item_labels=item_labels)
    can_override = (placement is not None and can(request.user, runs.RUN_PERMISSION)
                    and round_.state == AdmissionRound.State.MATCHED)
    choices = runs.override_choices(application)
    if can_override and form is None:
        initial = {"nursery": placement.nursery.code if placement.nursery else NONE}
        form = OverrideForm(nurseries=choices, initial=initial)
    family = []
    can_override_household = (can_override and application.household.applications
                              .exclude(pk=application.pk).exists())
    if can_override_household:
        family, _choices, default_form = _household_form(application, run)
        household_form = household_form or default_form
    return {"family": family, "can_override_household": can_override_household,
            "household_form": household_form, "household_error": household_error,
            "application": application, "household": application.household,
            "breakdown": application.score_breakdown, "wishes": rows, "run": run,
            "at_nursery": at_nursery,
            "placement": placement, "can_override": can_override, "form": form,
            "error": error,
            "siblings": application.household.applications.exclude(pk=application.pk)
            .order_by("number"),
            "rule_label": RULE_LABELS.get(application.household.sibling_rule, ""),
            "letter_available": placement is not None and round_.state in LETTER_STATES,
            # Online applications (取組7): the document check or the return.
            "online": online_application_context(request, application)}


@never_cache
@staff_permission_required(VIEW)
def application_page(request, application_id):
    application = access_application(request.user, application_id,
                                     purpose=_("Nursery admission: review the result"))
    return render(request, "childcare/staff/application.html",
                  _context(request, application))


@never_cache
@require_POST
@staff_permission_required(runs.RUN_PERMISSION)
def placement_override(request, application_id):
    application = access_application(request.user, application_id,
                                     purpose=_("Nursery admission: change the placement"))
    choices = runs.override_choices(application)
    form = OverrideForm(request.POST, nurseries=choices)
    error = None
    if form.is_valid():
        run = runs.latest_run(application.round)
        placement = Placement.objects.filter(run=run, application=application).first()
        code = form.cleaned_data["nursery"]
        nursery = next((n for n in choices if n.code == code), None)
        try:
            if placement is None:
                raise CityhallError(_("This round has no result yet."))
            runs.placement_override(placement=placement, nursery_or_none=nursery,
                                    reason=form.cleaned_data["reason"], actor=request.user)
        except CityhallError as failure:
            error = failure.message
        else:
            messages.success(request, _("The placement was changed."))
            return redirect("childcare:application", application_id=application.pk)
    return render(request, "childcare/staff/application.html",
                  _context(request, application, form=form, error=error), status=400)


@never_cache
@require_POST
@staff_permission_required(runs.RUN_PERMISSION)
def household_override(request, application_id):
    application = access_application(
        request.user, application_id,
        purpose=_("Nursery admission: change the placements of the family"))
    run = runs.latest_run(application.round)
    family, choices, form = _household_form(application, run, request.POST)
    error = None
    if form.is_valid():
        code = form.cleaned_data["nursery"]
        nursery = next((n for n in choices if n.code == code), None)
        try:
            changed = runs.household_override(
                household=application.household,
                nurseries={row["application"].pk: nursery for row in family},
                reason=form.cleaned_data["reason"], actor=request.user)
        except CityhallError as failure:
            error = failure.message
        else:
            messages.success(request, ngettext(
                "The placement of %(count)d child of the family was changed.",
                "The placements of %(count)d children of the family were changed.",
                len(changed)) % {"count": len(changed)})
            return redirect("childcare:application", application_id=application.pk)
    return render(request, "childcare/staff/application.html",
                  _context(request, application, household_form=form,
                           household_error=error), status=400)
