"""Staff pages of the write-less counter (書かない窓口; 取組3 窓口の利便性向上): start a visit
for a resident or a visitor, go through the navigator with them, choose the procedures,
correct the facts once, check the filled forms on screen and print them as one PDF. Every
visit is opened through `permissions.access_counter_visit`."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.errors import CityhallError, ValidationFailed
from cityhall.core.permissions import access_resident_list, can, staff_permission_required

from .. import selectors, services
from ..counter import assemble_forms, facts_needed
from ..forms import CounterChooseForm, CounterFactsForm, CounterStartForm, NavigatorForm
from ..permissions import access_counter_visit, counter_visits_visible_to

__all__ = [
    "counter_forms", "counter_forms_pdf", "counter_home", "counter_start", "counter_visit",
]


@never_cache
@staff_permission_required("procedures.add_countersession")
def counter_home(request):
    """Start a visit: choose the life event, then the resident (or a visitor)."""

    form = CounterStartForm(request.GET or None)
    residents = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        residents = access_resident_list(request.user, query=form.cleaned_data["q"],
                                         page_number=request.GET.get("page"))
    visits = counter_visits_visible_to(request.user).exclude(state="closed").filter(
        created_at__date=timezone.localdate()).select_related("life_event", "staff")[:50]
    return render(request, "procedures/counter_home.html", {
        "form": form, "residents": residents, "visits": visits},
        status=400 if form.is_bound and not form.is_valid() else 200)


@require_POST
@staff_permission_required("procedures.add_countersession")
def counter_start(request):

    form = CounterStartForm({"life_event": request.POST.get("life_event")})
    if not form.is_valid():
        messages.error(request, _("Choose the life event."))
        return redirect("procedures:counter_home")
    visit = services.counter_visit_start(life_event=form.cleaned_data["life_event"],
                                         resident_id=request.POST.get("resident_id") or None,
                                         actor=request.user)
    return redirect("procedures:counter_visit", visit_id=visit.pk)


def _counter_context(request, visit, *, navigator_form=None, choose_form=None,
                     facts_form=None):

    items = selectors.checklist(life_event=visit.life_event, answers=visit.answers,
                                event_date=visit.event_date)
    english = (get_language() or "ja").split("-")[0] != "ja"
    choices = [(item.procedure.code, item.procedure.name_en if english else
                item.procedure.name_ja) for item in items]
    chosen = services.visit_procedures(visit)
    if navigator_form is None:
        initial = {f"q_{key}": ("yes" if value is True else "no" if value is False else value)
                   for key, value in visit.answers.items()}
        navigator_form = NavigatorForm(initial={**initial, "event_date": visit.event_date},
                                       life_event=visit.life_event)
    if choose_form is None:
        choose_form = CounterChooseForm(initial={"procedures": visit.procedure_codes},
                                        choices=choices)
    if facts_form is None:
        facts_form = CounterFactsForm(initial=visit.facts, keys=facts_needed(chosen))
    return {"visit": visit, "items": items, "chosen": chosen,
            "navigator_form": navigator_form, "choose_form": choose_form,
            "facts_form": facts_form,
            "may_change": can(request.user, "procedures.change_countersession")
            and visit.state != "closed"}


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("procedures.view_countersession")
def counter_visit(request, visit_id):

    visit = access_counter_visit(request.user, visit_id)
    forms_in_error = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "answers":
                form = NavigatorForm(request.POST, life_event=visit.life_event)
                if form.is_valid():
                    services.counter_visit_answer(visit=visit, answers=form.answers(),
                                                  event_date=form.cleaned_data["event_date"],
                                                  actor=request.user)
                else:
                    forms_in_error["navigator_form"] = form
            elif action == "choose":
                items = selectors.checklist(life_event=visit.life_event,
                                            answers=visit.answers,
                                            event_date=visit.event_date)
                form = CounterChooseForm(request.POST, choices=[
                    (item.procedure.code, item.procedure.code) for item in items])
                if form.is_valid():
                    services.counter_visit_choose(
                        visit=visit, procedure_codes=form.cleaned_data["procedures"],
                        actor=request.user)
                else:
                    forms_in_error["choose_form"] = form
            elif action == "facts":
                form = CounterFactsForm(request.POST, keys=facts_needed(
                    services.visit_procedures(visit)))
                if form.is_valid():
                    services.counter_visit_set_facts(visit=visit, facts=form.facts(),
                                                     actor=request.user)
                else:
                    forms_in_error["facts_form"] = form
            elif action == "close":
                services.counter_visit_close(visit=visit, actor=request.user)
                messages.success(request, _("The visit was closed."))
                return redirect("procedures:counter_home")
            else:
                raise ValidationFailed(_("Choose what to do."))
        except CityhallError as error:
            messages.error(request, error.message)
            return redirect("procedures:counter_visit", visit_id=visit.pk)
        if not forms_in_error:
            messages.success(request, _("Saved. Every form shows the new values."))
            return redirect("procedures:counter_visit", visit_id=visit.pk)
    context = _counter_context(request, visit, **forms_in_error)
    return render(request, "procedures/counter_visit.html", context,
                  status=400 if forms_in_error else 200)


@never_cache
@staff_permission_required("procedures.view_countersession")
def counter_forms(request, visit_id):
    """The filled forms on screen, to check with the resident before printing."""

    visit = access_counter_visit(request.user, visit_id)
    forms = assemble_forms(procedures=services.visit_procedures(visit), facts=visit.facts)
    return render(request, "procedures/counter_forms.html", {"visit": visit, "forms": forms})


@never_cache
@require_POST
@staff_permission_required("procedures.view_countersession")
def counter_forms_pdf(request, visit_id):

    visit = access_counter_visit(request.user, visit_id)
    try:
        pdf = services.counter_visit_print(visit=visit, actor=request.user)
    except ValidationFailed as error:
        messages.error(request, error.message)
        return redirect("procedures:counter_visit", visit_id=visit.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="forms-{visit.life_event.code}-{stamp}.pdf"')
    return response
