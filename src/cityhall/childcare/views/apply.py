"""Residents' pages of the online nursery application (取組7): the rounds open for
applications, one application per round (the household) with its children, their wished
nurseries, the family's situation, the documents that prove it (添付書類), a check page with
the score before sending, withdrawal, and "my applications" with the status and, once
published, the result. Server-side steps that work without JavaScript. A resident only ever
reaches their own application: anything else is "not found". Thin: parse, call one service,
render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError, NotFoundError

from ..matching.model import SiblingRule
from ..models import Household, Nursery, OnlineStatus, Placement
from ..online_forms import SIBLING_RULE_CHOICES, ChildForm, DocumentForm, FamilyForm, WishesForm
from ..services import online, online_documents, runs

STATUS_LABELS = {
    OnlineStatus.DRAFT.value: OnlineStatus.DRAFT.label,
    OnlineStatus.SUBMITTED.value: OnlineStatus.SUBMITTED.label,
    OnlineStatus.VERIFIED.value: OnlineStatus.VERIFIED.label,
    OnlineStatus.RETURNED.value: OnlineStatus.RETURNED.label,
}


def _status_label(status: str) -> str:
    if status == "published":
        return _("Result sent")
    return str(STATUS_LABELS.get(status, status))


def _letter_url(application) -> str | None:
    # The result letter page belongs to another part of the app; link it when it exists.
    try:
        return reverse("childcare:my_application_letter", args=[application.pk])
    except NoReverseMatch:
        return None


def _hub(household):
    return redirect("childcare:my_application", round_id=household.round_id)


def _closed(request, household):
    messages.info(request, _("This application can no longer be changed: online "
                             "applications for this round are closed."))
    return _hub(household)


def _form_error(form, error: CityhallError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _children(household, with_results=False) -> list[dict]:
    applications = list(household.applications.select_related("current_nursery__facility")
                        .prefetch_related("wishes__nursery__facility").order_by("number"))
    placements = {}
    if with_results:
        run = runs.latest_run(household.round)
        if run is not None:
            placements = {row.application_id: row for row in Placement.objects.filter(
                run=run, application__in=applications).select_related("nursery__facility")}
    return [{"application": application,
             "wishes": [wish.nursery for wish in application.wishes.all()],
             "placement": placements.get(application.pk),
             "letter_url": _letter_url(application) if with_results else None}
            for application in applications]


def _claims(household) -> dict:
    claims = household.online_claims or {}
    items = {item.code: item for item in household.round.points_table.items.all()}
    return {"parent1": items.get(claims.get("parent1")),
            "parent2": items.get(claims.get("parent2")),
            "adjustments": [items[code] for code in claims.get("adjustments", [])
                            if code in items],
            "given": bool(claims.get("parent1"))}


def _household_context(household) -> dict:
    status = online.status_of(household)
    rules = dict(SIBLING_RULE_CHOICES)
    children = _children(household, with_results=status == "published")
    return {"household": household, "round": household.round, "status": status,
            "status_label": _status_label(status), "children": children,
            "claims": _claims(household), "score": online.score_preview(household),
            "problems": online.submit_problems(household),
            "can_change": online.resident_can_change(household),
            "documents": list(household.documents.all()),
            "sibling_rule_text": rules.get(household.sibling_rule, "")
            if len(children) > 1 else "",
            "is_sent": online.is_sent(household)}


@login_required
@never_cache
def apply(request):
    profile = online.resident_profile_of(request.user)
    own = {household.round_id: household for household in
           Household.objects.filter(resident=profile, resident__isnull=False)} \
        if profile else {}
    rows = [{"round": round_, "household": own.get(round_.pk)}
            for round_ in online.open_rounds()]
    return render(request, "childcare/apply/rounds.html",
                  {"rows": rows, "has_profile": profile is not None})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def apply_start(request, round_id):
    profile = online.resident_profile_of(request.user)
    if profile is not None:
        existing = Household.objects.filter(round_id=round_id, resident=profile).first()
        if existing is not None:
            return _hub(existing)
    round_ = online.open_rounds().filter(pk=round_id).first()
    if round_ is None:
        raise NotFoundError()
    if request.method == "POST":
        try:
            household = online.online_application_start(round=round_, actor=request.user)
        except CityhallError as error:
            messages.error(request, str(error.message))
            return redirect("childcare:apply")
        return redirect("childcare:my_child_new", round_id=household.round_id)
    return render(request, "childcare/apply/start.html",
                  {"round": round_, "has_profile": profile is not None})


@login_required
@never_cache
def my_applications(request):
    profile = online.resident_profile_of(request.user)
    households = (Household.objects.filter(resident=profile, resident__isnull=False)
                  .select_related("round").order_by("-round__admission_date", "pk")
                  if profile else Household.objects.none())
    rows = []
    for household in households:
        context = _household_context(household)
        rows.append(context)
    return render(request, "childcare/apply/my_applications.html",
                  {"rows": rows, "has_profile": profile is not None,
                   "open_rounds": online.open_rounds().exists()})


@login_required
@never_cache
def my_application(request, round_id):
    household = online.own_household(request.user, round_id)
    return render(request, "childcare/apply/application.html", _household_context(household))


def _eligible_current_nurseries():
    return list(Nursery.objects.filter(is_active=True).select_related("facility")
                .order_by("sort_order", "code"))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_child(request, round_id, application_id=None):
    household = online.own_household(request.user, round_id)
    application = (online.own_application(household, application_id)
                   if application_id is not None else None)
    if not online.resident_can_change(household):
        return _closed(request, household)
    nurseries = _eligible_current_nurseries()
    records = online.record_children(household, request.user) if application is None else []
    if request.method == "POST":
        form = ChildForm(request.POST, nurseries=nurseries)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = online.online_child_save(
                    household=household, application=application,
                    child_name=data["child_name"], child_name_kana=data["child_name_kana"],
                    date_of_birth=data["date_of_birth"], current_nursery=form.nursery(),
                    actor=request.user)
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The child's details were saved. Now choose the "
                                            "wished nurseries."))
                return redirect("childcare:my_child_wishes", round_id=household.round_id,
                                application_id=saved.pk)
        status = 400
    else:
        initial = {}
        if application is not None:
            initial = {"child_name": application.child_name,
                       "child_name_kana": application.child_name_kana,
                       "date_of_birth": application.date_of_birth,
                       "current_nursery": str(application.current_nursery_id or "")}
        else:
            # "Use the details of …": a child of the resident's own immunisation records.
            chosen = {str(child.pk): child for child in records}.get(
                request.GET.get("record", ""))
            if chosen is not None:
                initial = {"child_name": chosen.name, "child_name_kana": chosen.name_kana,
                           "date_of_birth": chosen.date_of_birth}
        form = ChildForm(initial=initial, nurseries=nurseries)
        status = 200
    return render(request, "childcare/apply/child.html",
                  {"household": household, "round": household.round, "form": form,
                   "application": application, "records": records}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_child_wishes(request, round_id, application_id):
    household = online.own_household(request.user, round_id)
    application = online.own_application(household, application_id)
    if not online.resident_can_change(household):
        return _closed(request, household)
    eligible = online.eligible_nurseries(household.round, application.age_class)
    if request.method == "POST":
        form = WishesForm(request.POST, nurseries=eligible, application=application)
        if form.is_valid():
            try:
                online.online_wishes_save(application=application,
                                          nurseries=form.nurseries(), actor=request.user)
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The wished nurseries were saved."))
                return _hub(household)
        status = 400
    else:
        initial = {f"wish_{wish.rank}": str(wish.nursery_id)
                   for wish in application.wishes.all()}
        form = WishesForm(initial=initial, nurseries=eligible, application=application)
        status = 200
    return render(request, "childcare/apply/wishes.html",
                  {"household": household, "round": household.round, "form": form,
                   "application": application, "eligible": eligible}, status=status)


@login_required
@never_cache
@require_POST
def my_child_remove(request, round_id, application_id):
    household = online.own_household(request.user, round_id)
    application = online.own_application(household, application_id)
    if not online.resident_can_change(household):
        return _closed(request, household)
    try:
        online.online_child_remove(application=application, actor=request.user)
    except CityhallError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The child was removed from the application."))
    return _hub(household)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_family(request, round_id):
    household = online.own_household(request.user, round_id)
    if not online.resident_can_change(household):
        return _closed(request, household)
    items = list(household.round.points_table.items.order_by("kind", "sort_order", "code"))
    children = household.applications.count()
    if request.method == "POST":
        form = FamilyForm(request.POST, items=items, children=children)
        if form.is_valid():
            data = form.values()
            try:
                online.online_family_save(
                    household=household, parent1=data["parent1"], parent2=data["parent2"],
                    adjustments=data["adjustments"], sibling_rule=data["sibling_rule"],
                    single_parent=data["single_parent"],
                    public_assistance=data["public_assistance"],
                    disability=data["disability"], sibling_enrolled=data["sibling_enrolled"],
                    resident_tax=data["resident_tax"], actor=request.user)
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The family's situation was saved."))
                return redirect("childcare:my_application_check",
                                round_id=household.round_id)
        status = 400
    else:
        claims = household.online_claims or {}
        form = FamilyForm(initial={
            "parent1": claims.get("parent1", ""), "parent2": claims.get("parent2", ""),
            "adjustments": claims.get("adjustments", []),
            "sibling_rule": household.sibling_rule or SiblingRule.INDEPENDENT.value,
            "single_parent": household.single_parent,
            "public_assistance": household.public_assistance,
            "disability": household.disability,
            "sibling_enrolled": household.sibling_enrolled,
            "resident_tax": household.resident_tax}, items=items, children=children)
        status = 200
    return render(request, "childcare/apply/family.html",
                  {"household": household, "round": household.round, "form": form},
                  status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_application_check(request, round_id):
    household = online.own_household(request.user, round_id)
    context = _household_context(household)
    if request.method == "POST":
        if not context["can_change"]:
            return _closed(request, household)
        try:
            online.online_application_submit(household=household, actor=request.user)
        except CityhallError as error:
            context["error"] = error.message
            return render(request, "childcare/apply/check.html", context, status=400)
        messages.success(request, _("Your application was sent. The city checks it with your "
                                    "documents; you can follow it under “My nursery "
                                    "applications”."))
        return _hub(household)
    return render(request, "childcare/apply/check.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_application_withdraw(request, round_id):
    household = online.own_household(request.user, round_id)
    if not online.resident_can_change(household):
        return _closed(request, household)
    if request.method == "POST":
        try:
            online.online_application_withdraw(household=household, actor=request.user)
        except CityhallError as error:
            messages.error(request, str(error.message))
            return _hub(household)
        messages.success(request, _("Your application was withdrawn."))
        return redirect("childcare:my_applications")
    return render(request, "childcare/apply/withdraw.html",
                  {"household": household, "round": household.round})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_documents(request, round_id):
    """The documents of the application, and a form to attach one (while it may change)."""
    household = online.own_household(request.user, round_id)
    can_change = online.resident_can_change(household)
    status = 200
    form = DocumentForm()
    if request.method == "POST":
        if not can_change:
            return _closed(request, household)
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                document = online_documents.online_document_add(
                    household=household, kind=data["kind"], parent=data["parent"],
                    uploaded_file=data["file"], actor=request.user)
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("“%(name)s” was attached.")
                                 % {"name": document.original_name})
                return redirect("childcare:my_documents", round_id=household.round_id)
        status = 400
    return render(request, "childcare/apply/documents.html",
                  {"household": household, "round": household.round, "form": form,
                   "documents": list(household.documents.all()), "can_change": can_change,
                   "max_documents": online_documents.MAX_DOCUMENTS,
                   "is_sent": online.is_sent(household)},
                  status=status)


@login_required
@never_cache
@require_POST
def my_document_remove(request, round_id, document_id):
    household = online.own_household(request.user, round_id)
    document = online_documents.own_document(household, document_id)
    if not online.resident_can_change(household):
        return _closed(request, household)
    try:
        online_documents.online_document_remove(household=household, document_id=document.pk,
                                                actor=request.user)
    except CityhallError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("“%(name)s” was removed.")
                         % {"name": document.original_name})
    return redirect("childcare:my_documents", round_id=household.round_id)


@login_required
@never_cache
def my_document(request, round_id, document_id):
    """A document the resident attached to their own application (a download)."""
    household = online.own_household(request.user, round_id)
    return document_response(online_documents.own_document(household, document_id))


def document_response(document):
    """The file as a download (the procedures engine's rule for residents' uploads)."""
    from cityhall.procedures.attachments import download_response

    return download_response(document.file, name=document.original_name,
                             content_type=document.content_type)
