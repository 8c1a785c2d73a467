"""The staff back office of the FAQ (取組6, 8): entries with their history, publishing, the
synonym dictionary, CSV export and import, and the learning-loop dashboard."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityhall.core.errors import CityhallError, PermissionDeniedError, ValidationFailed
from cityhall.core.permissions import can, staff_permission_required

from . import csvio, engine, learning, selectors, services
from .forms import EntryForm, ImportForm, SynonymForm
from .models import Category, Entry, SynonymGroup


def _form_error(form, error: CityhallError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@never_cache
@staff_permission_required("faq.view_entry")
def staff_home(request):
    entries = Entry.objects.select_related("category", "department").order_by(
        "category__sort_order", "key")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        entries = entries.filter(Q(key__icontains=query) | Q(question_ja__icontains=query) |
                                 Q(question_en__icontains=query))
    status = request.GET.get("status", "")
    if status in Entry.Status.values:
        entries = entries.filter(status=status)
    category = request.GET.get("category", "")
    if category:
        entries = entries.filter(category__code=category)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "faq/staff/home.html", {
        "page": page, "query": query, "status": status, "category": category,
        "categories": Category.objects.all(), "statuses": Entry.Status.choices,
        "import_form": ImportForm(), "open_questions": selectors.open_questions().count()})


def _entry_data(form, status: str) -> dict:
    data = dict(form.cleaned_data)
    data.pop("revision", None)
    data["status"] = status
    data["is_demo"] = False
    return data


@never_cache
@staff_permission_required("faq.add_entry")
def entry_create(request):
    form = EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_save(data=_entry_data(form, Entry.Status.DRAFT),
                                        actor=request.user)
        except CityhallError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("faq:staff_entry_edit", entry.key)
    status = 400 if request.method == "POST" else 200
    return render(request, "faq/staff/entry_form.html", {"form": form, "entry": None},
                  status=status)


@never_cache
@staff_permission_required("faq.view_entry")
def entry_edit(request, key):
    entry = get_object_or_404(Entry.objects.select_related("category", "department"), key=key)
    may_edit = services.can_edit_department(request.user, entry.department_id)
    form = EntryForm(request.POST or None, initial=EntryForm.initial_from(entry))
    if request.method == "POST":
        if not may_edit:
            raise PermissionDeniedError()
        if form.is_valid():
            data = _entry_data(form, entry.status)
            data["is_demo"] = entry.is_demo and not form.has_changed()
            try:
                entry = services.entry_save(data=data, entry=entry, actor=request.user,
                                            expected_revision=form.cleaned_data.get("revision"))
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The entry was saved."))
                return redirect("faq:staff_entry_edit", entry.key)
    status = 400 if request.method == "POST" else 200
    return render(request, "faq/staff/entry_form.html", {
        "form": form, "entry": entry, "may_edit": may_edit,
        "revisions": entry.revisions.all()[:30]}, status=status)


@require_POST
@staff_permission_required("faq.publish_entry")
def entry_status(request, key):
    entry = get_object_or_404(Entry.objects.select_related("category", "department"), key=key)
    status = request.POST.get("status", "")
    if status not in Entry.Status.values:
        raise ValidationFailed()
    services.entry_set_status(entry=entry, status=status, actor=request.user)
    messages.success(request, _("The entry was published.") if status == "published"
                     else _("The entry was taken off the site."))
    return redirect("faq:staff_entry_edit", entry.key)


@never_cache
@staff_permission_required("faq.view_entry")
def entries_export(request):
    encoding = request.GET.get("encoding", "utf-8")
    if encoding not in csvio.ENCODINGS:
        raise ValidationFailed(_("Choose UTF-8 or Shift_JIS."), field="encoding")
    entries = Entry.objects.select_related("category", "department").order_by("key")
    charset = "utf-8" if encoding == "utf-8" else "shift_jis"
    response = HttpResponse(csvio.export_csv(entries, encoding=encoding),
                            content_type=f"text/csv; charset={charset}")
    response["Content-Disposition"] = f'attachment; filename="faq-entries-{encoding}.csv"'
    return response


@require_POST
@staff_permission_required("faq.add_entry")
def entries_import(request):
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            counts = csvio.import_csv(data=form.cleaned_data["file"].read(),
                                      encoding=form.cleaned_data["encoding"],
                                      actor=request.user)
        except CityhallError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Imported: %(created)s new, %(updated)s changed, "
                                        "%(unchanged)s unchanged.") % counts)
    else:
        messages.error(request, _("Please choose a CSV file and its encoding."))
    return redirect("faq:staff_home")


@never_cache
@staff_permission_required("faq.view_synonymgroup")
def synonyms(request):
    form = SynonymForm(request.POST or None)
    if request.method == "POST":
        if not can(request.user, "faq.add_synonymgroup"):
            raise PermissionDeniedError()
        if form.is_valid():
            try:
                services.synonym_group_save(terms=form.cleaned_data["terms"],
                                            note=form.cleaned_data["note"], actor=request.user)
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The synonym group was added."))
                return redirect("faq:staff_synonyms")
    status = 400 if request.method == "POST" else 200
    return render(request, "faq/staff/synonyms.html", {
        "form": form, "groups": SynonymGroup.objects.all()}, status=status)


@require_POST
@staff_permission_required("faq.change_synonymgroup")
def synonym_edit(request, pk):
    group = get_object_or_404(SynonymGroup, pk=pk)
    form = SynonymForm(request.POST)
    if form.is_valid():
        try:
            services.synonym_group_save(group=group, terms=form.cleaned_data["terms"],
                                        note=form.cleaned_data["note"], actor=request.user)
        except CityhallError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The synonym group was saved."))
    else:
        messages.error(request, _("A synonym group needs at least two words."))
    return redirect("faq:staff_synonyms")


@require_POST
@staff_permission_required("faq.delete_synonymgroup")
def synonym_delete(request, pk):
    group = get_object_or_404(SynonymGroup, pk=pk)
    services.synonym_group_delete(group=group, actor=request.user)
    messages.success(request, _("The synonym group was deleted."))
    return redirect("faq:staff_synonyms")


@never_cache
@staff_permission_required("faq.view_questionlog")
def questions(request):
    groups = learning.group_questions(list(selectors.open_questions()))
    index = engine.current_index()
    for group in groups[:100]:
        # The entries to offer for "add as phrasings": the engine's closest to the group's
        # first question, and the one the engine found most often for its questions.
        hits = index.ask(group.title, language=group.language, limit=3).hits
        found = selectors.published_by_ids(hit.entry_id for hit in hits)
        candidates = [found[hit.entry_id] for hit in hits if hit.entry_id in found]
        suggested = group.suggested_entry
        if suggested is not None and suggested not in candidates:
            candidates.insert(0, suggested)
        group.candidates = candidates
    return render(request, "faq/staff/questions.html", {
        "groups": groups[:100], "total": sum(group.size for group in groups),
        "categories": Category.objects.all()})


def _log_ids(request) -> list[int]:
    try:
        ids = [int(part) for part in request.POST.get("log_ids", "").split(",") if part]
    except ValueError:
        raise ValidationFailed() from None
    if not ids or len(ids) > 2000:
        raise ValidationFailed()
    return ids


@require_POST
@staff_permission_required("faq.add_entry")
def questions_new_entry(request):
    category = get_object_or_404(Category, code=request.POST.get("category", ""))
    entry = services.entry_create_from_questions(log_ids=_log_ids(request), category=category,
                                                 actor=request.user)
    messages.success(request, _("A draft entry was made from the questions. Write the answer "
                                "and publish it."))
    return redirect("faq:staff_entry_edit", entry.key)


@require_POST
@staff_permission_required("faq.change_entry")
def questions_add_phrasing(request):
    entry = get_object_or_404(Entry.objects.select_related("category", "department"),
                              key=request.POST.get("entry", ""))
    services.phrasing_add_from_questions(log_ids=_log_ids(request), entry=entry,
                                         actor=request.user)
    messages.success(request, _("The questions were added as phrasings of “%(question)s”.")
                     % {"question": entry.question_ja})
    return redirect("faq:staff_questions")


@require_POST
@staff_permission_required("faq.view_questionlog")
def questions_dismiss(request):
    services.question_logs_dismiss(log_ids=_log_ids(request), actor=request.user)
    messages.success(request, _("The questions were set aside."))
    return redirect("faq:staff_questions")
