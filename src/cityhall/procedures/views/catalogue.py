"""Public pages of the procedures engine (取組1 行政手続のオンライン化, 取組3 窓口の利便性向上:
手続きナビ): the catalogue, a procedure, the life-event navigator and the resident's saved
checklists. Views parse, check access, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.models import Department

from .. import selectors, services
from ..forms import NavigatorForm, ProcedureSearchForm, navigator_query
from ..models import SavedChecklist

__all__ = [
    "checklist_save", "my_checklist", "my_checklist_delete", "my_checklists", "navigator",
    "navigator_index", "procedure_detail", "procedure_list",
]


def procedure_list(request):
    form = ProcedureSearchForm(request.GET or None)
    query, life_event = "", None
    if form.is_valid():
        query = form.cleaned_data["q"]
        code = form.cleaned_data["life_event"]
        if code:
            life_event = selectors.published_life_events().filter(code=code).first()
    department = request.GET.get("department") or None
    procedures = selectors.search_procedures(query=query, life_event=life_event,
                                             department_code=department)
    page = Paginator(procedures, 20).get_page(request.GET.get("page"))
    return render(request, "procedures/procedure_list.html", {
        "form": form, "page": page, "query": query, "life_event": life_event,
        "life_events": selectors.published_life_events(),
        "departments": Department.objects.filter(procedures__is_published=True).distinct()
        .order_by("code"),
        "department": department,
    }, status=200 if form.is_valid() or not form.is_bound else 400)


def procedure_detail(request, code):
    procedure = selectors.published_procedures().filter(code=code).first()
    if procedure is None:
        raise Http404
    life_events = selectors.published_life_events().filter(rules__procedure=procedure)
    return render(request, "procedures/procedure_detail.html", {
        "procedure": procedure, "life_events": life_events,
        "online_form": procedure.forms.filter(is_active=True).first()})


def navigator_index(request):
    return render(request, "procedures/navigator_index.html",
                  {"life_events": selectors.published_life_events()})


def _navigator_result(request, life_event, data):
    form = NavigatorForm(data, life_event=life_event)
    if not form.is_valid():
        return form, None, None, None
    answers, event_date = form.answers(), form.cleaned_data["event_date"]
    items = selectors.checklist(life_event=life_event, answers=answers, event_date=event_date)
    return form, items, answers, event_date


def navigator(request, event_code):
    life_event = get_object_or_404(selectors.published_life_events(), code=event_code)
    items = answers = event_date = None
    status = 200
    if request.GET.get("show"):
        form, items, answers, event_date = _navigator_result(request, life_event, request.GET)
        status = 200 if form.is_valid() else 400
    else:
        form = NavigatorForm(life_event=life_event)
    return render(request, "procedures/navigator.html", {
        "life_event": life_event, "form": form, "items": items, "answers": answers,
        "event_date": event_date,
        "uncertain_count": sum(1 for item in items or [] if not item.certain),
        "save_params": (list(navigator_query(life_event, answers, event_date).items())
                        if items is not None else []),
    }, status=status)


@login_required
@require_POST
def checklist_save(request, event_code):
    life_event = get_object_or_404(selectors.published_life_events(), code=event_code)
    _form, items, answers, event_date = _navigator_result(request, life_event, request.POST)
    if items is None:
        messages.error(request, _("The checklist could not be saved: please check the answers."))
        return redirect("procedures:navigator", event_code=event_code)
    saved = services.checklist_save(user=request.user, life_event=life_event, answers=answers,
                                    event_date=event_date, actor=request.user)
    messages.success(request, _("The checklist was saved to your account."))
    return redirect("procedures:my_checklist", saved_id=saved.pk)


@login_required
@never_cache
def my_checklists(request):
    saved = SavedChecklist.objects.filter(user=request.user).select_related("life_event")
    return render(request, "procedures/my_checklists.html", {"saved_checklists": saved})


def _own_checklist(request, saved_id) -> SavedChecklist:
    # Another resident's checklist is "not found", never "forbidden": ids reveal nothing.
    return get_object_or_404(SavedChecklist.objects.select_related("life_event"),
                             pk=saved_id, user=request.user)


@login_required
@never_cache
def my_checklist(request, saved_id):
    saved = _own_checklist(request, saved_id)
    items = selectors.checklist(life_event=saved.life_event, answers=saved.answers,
                                event_date=saved.event_date)
    link = urlencode(navigator_query(saved.life_event, saved.answers, saved.event_date))
    return render(request, "procedures/my_checklist.html",
                  {"saved": saved, "items": items, "life_event": saved.life_event,
                   "event_date": saved.event_date, "navigator_link": link,
                   "uncertain_count": sum(1 for item in items if not item.certain)})


@login_required
@require_http_methods(["POST"])
def my_checklist_delete(request, saved_id):
    saved = _own_checklist(request, saved_id)
    services.checklist_delete(saved=saved, actor=request.user)
    messages.success(request, _("The checklist was deleted."))
    return redirect("procedures:my_checklists")
