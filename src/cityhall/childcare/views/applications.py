"""Staff page of one child's application: the score, the wishes with why each was not
given, the placement, and the override (all through the audited door)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityhall.core.errors import CityhallError
from cityhall.core.permissions import can, staff_permission_required

from ..forms import NONE, OverrideForm
from ..matching.explain import explain
from ..matching.model import SiblingRule
from ..models import AdmissionRound, Placement
from ..permissions import access_application
from ..services import runs
from ..services.instance import instance_for_round
from ..services.priority import tie_break_rules_of
from .text import reason_text

VIEW = "childcare.view_application"
RULE_LABELS = {
    SiblingRule.INDEPENDENT.value: "単独",
    SiblingRule.SAME_FACILITY_ONLY.value: "同一施設のみ",
    SiblingRule.SAME_PREFERRED.value: "同一施設希望",
    SiblingRule.ALL_OR_NONE.value: "全員入所",
    SiblingRule.ELDER_MAY_GO_ALONE.value: "上の子のみ可",
    SiblingRule.YOUNGER_MAY_GO_ALONE.value: "下の子のみ可",
    SiblingRule.STAGGERED_SAME_FACILITY.value: "同一施設・別月入所可",
    SiblingRule.STAGGERED_SEPARATE.value: "別施設可・別月入所可",
}


def _context(request, application, form=None, error=None) -> dict:
    round_ = application.round
    run = runs.latest_run(round_)
    placement = (Placement.objects.filter(run=run, application=application)
                 .select_related("nursery__facility", "original_nursery__facility",
                                 "overridden_by").first() if run else None)
    wishes = list(application.wishes.select_related("nursery__facility"))
    # Adjustments at one nursery (施設別加点): they count only there.
    at_nursery = list(application.points.filter(nursery__isnull=False)
                      .select_related("item", "nursery__facility"))
    bonus_of: dict[int, list] = {}
    for points in at_nursery:
        bonus_of.setdefault(points.nursery_id, []).append(points)
    item_labels = {item.code: item.label for item in round_.points_table.items.all()}
    reasons = {}
    if placement is not None:
        instance = instance_for_round(round_)
        assignment = {str(row.application_id): row.nursery.code if row.nursery else None
                      for row in Placement.objects.filter(run=run).select_related("nursery")}
        explanation = explain(instance, assignment).get(str(application.pk))
        rules = tie_break_rules_of(round_)
        if explanation is not None:
            reasons = {reason.wish_rank: reason_text(reason, rules, RULE_LABELS,
                                                     item_labels)
                       for reason in explanation.reasons}
    rows = []
    for index, wish in enumerate(wishes):
        if placement is not None and placement.nursery_id == wish.nursery_id:
            status = _("Placed here")
        else:
            status = reasons.get(index, "")
        bonuses = bonus_of.get(wish.nursery_id, [])
        rows.append({"wish": wish, "status": status, "bonuses": bonuses,
                     "score_here": application.score + sum(b.item.points for b in bonuses)})
    can_override = (placement is not None and can(request.user, runs.RUN_PERMISSION)
                    and round_.state == AdmissionRound.State.MATCHED)
    choices = runs.override_choices(application)
    if can_override and form is None:
        initial = {"nursery": placement.nursery.code if placement.nursery else NONE}
        form = OverrideForm(nurseries=choices, initial=initial)
    return {"application": application, "household": application.household,
            "breakdown": application.score_breakdown, "wishes": rows, "run": run,
            "at_nursery": at_nursery,
            "placement": placement, "can_override": can_override, "form": form,
            "error": error,
            "siblings": application.household.applications.exclude(pk=application.pk)
            .order_by("number"),
            "rule_label": RULE_LABELS.get(application.household.sibling_rule, "")}


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
