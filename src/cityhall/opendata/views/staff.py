"""The catalogue's back office (取組27), under /opendata/staff/: the datasets of the
organizations the staff member may publish for (drafts and private ones included), a dataset's
metadata and files, withdrawing a dataset, and the staff member's API tokens for the CKAN
write actions.

Who may do what is `permissions.py`'s (an open data officer: every organization; a
department's editor: their department's); every change goes through `services`, which checks
it again and audits it. A dataset another department publishes is "forbidden" when it is
public and "not found" when it is private or a draft (`access_dataset`).
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from cityhall.core.errors import CityhallError, NotFoundError, PermissionDeniedError
from cityhall.core.permissions import staff_permission_required

from .. import services
from ..forms import DatasetForm, ResourceEditForm, ResourceForm, StaffFilterForm, TokenForm
from ..models import ApiToken, Dataset, Resource
from ..permissions import access_dataset, organizations_editable_by
from ..selectors import normalise
from .public import resource_for

VIEW = "opendata.view_dataset"
PAGE_SIZE = 50


def _form_error(form, error: CityhallError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _editable_organizations(user):
    organizations = organizations_editable_by(user).order_by("name")
    if not organizations.exists():
        raise PermissionDeniedError()
    return organizations


# --- the list -------------------------------------------------------------------------------

@never_cache
@require_safe
@staff_permission_required(VIEW)
def dataset_list(request):
    organizations = organizations_editable_by(request.user).order_by("name")
    form = StaffFilterForm(request.GET or None, organizations=organizations)
    datasets = (Dataset.objects.filter(organization__in=organizations)
                .exclude(state=Dataset.State.DELETED).select_related("organization")
                .order_by("-metadata_modified", "id"))
    status = 200
    if request.GET and not form.is_valid():
        status, datasets = 400, datasets.none()
    elif request.GET:
        data = form.cleaned_data
        if data["q"]:
            datasets = datasets.filter(Q(search_text__contains=normalise(data["q"]))
                                       | Q(name__contains=data["q"].lower()))
        if data["organization"]:
            datasets = datasets.filter(organization=data["organization"])
        if data["state"] == "private":
            datasets = datasets.filter(private=True)
        elif data["state"]:
            datasets = datasets.filter(state=data["state"])
    page = Paginator(datasets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "opendata/staff/dataset_list.html", {
        "form": form, "page": page, "may_publish": organizations.exists()}, status=status)


# --- datasets -------------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required(VIEW)
def dataset_new(request):
    organizations = _editable_organizations(request.user)
    if request.method != "POST":
        form = DatasetForm(organizations=organizations, initial={
            "organization": organizations.first()})
        return render(request, "opendata/staff/dataset_form.html", {"form": form})
    form = DatasetForm(request.POST, organizations=organizations)
    if form.is_valid():
        values = form.service_values()
        try:
            dataset = services.dataset_create(actor=request.user, **values)
        except CityhallError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The dataset was created. Add its files below."))
            return redirect("opendata:staff_dataset", dataset.name)
    return render(request, "opendata/staff/dataset_form.html", {"form": form}, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required(VIEW)
def dataset_edit(request, name):
    dataset = access_dataset(request.user, name, for_edit=True)
    organizations = _editable_organizations(request.user)
    status = 200
    if request.method == "POST":
        form = DatasetForm(request.POST, organizations=organizations)
        if form.is_valid():
            try:
                dataset = services.dataset_update(actor=request.user, dataset=dataset,
                                                  **form.service_values())
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The dataset was saved."))
                return redirect("opendata:staff_dataset", dataset.name)
        status = 400
    else:
        form = DatasetForm(organizations=organizations, initial=DatasetForm.initial_for(dataset))
    resources = dataset.resources.exclude(state=Dataset.State.DELETED).order_by("position",
                                                                                "created")
    return render(request, "opendata/staff/dataset_form.html", {
        "form": form, "dataset": dataset, "resources": resources}, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required(VIEW)
def dataset_delete(request, name):
    dataset = access_dataset(request.user, name, for_edit=True)
    if request.method == "POST":
        services.dataset_delete(actor=request.user, dataset=dataset)
        messages.success(request, _("The dataset “%(title)s” was withdrawn.") % {
            "title": dataset.title})
        return redirect("opendata:staff_datasets")
    return render(request, "opendata/staff/confirm_delete.html", {
        "dataset": dataset, "object_title": dataset.title,
        "heading": _("Withdraw the dataset"),
        "explanation": _("The dataset and its files disappear from the catalogue, the API and "
                         "DCAT. Its name is not reused."),
        "button": _("Withdraw the dataset")})


# --- resources ------------------------------------------------------------------------------

def read_upload(upload) -> bytes | None:
    """The uploaded file's bytes, read in chunks; None (and no more reading) as soon as it is
    larger than OPENDATA_MAX_UPLOAD_BYTES."""
    limit = settings.OPENDATA_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        return None
    parts, total = [], 0
    for chunk in upload.chunks():
        total += len(chunk)
        if total > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _limits() -> dict:
    return {"max_upload_mb": settings.OPENDATA_MAX_UPLOAD_BYTES // (1024 * 1024)}


def _too_large(form) -> None:
    form.add_error("file", _("The file is larger than %(limit)s MB.") % {
        "limit": settings.OPENDATA_MAX_UPLOAD_BYTES // (1024 * 1024)})


def _uploaded_message(resource: Resource) -> str:
    message = _("The file “%(name)s” was saved.") % {"name": resource.name}
    if resource.source_encoding == "shift_jis":
        message += " " + _("It was in Shift_JIS and was converted to UTF-8.")
    if resource.row_count is not None:
        message += " " + _("%(count)s rows of data.") % {"count": resource.row_count}
    return message


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required(VIEW)
def resource_new(request, name):
    dataset = access_dataset(request.user, name, for_edit=True)
    if dataset.live_key:
        return render(request, "opendata/staff/live_files.html", {"dataset": dataset},
                      status=400 if request.method == "POST" else 200)
    if request.method != "POST":
        return render(request, "opendata/staff/resource_form.html", {**_limits(),
            "form": ResourceForm(), "dataset": dataset})
    form = ResourceForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        content = read_upload(upload) if upload else None
        if upload and content is None:
            _too_large(form)
        else:
            try:
                resource = services.resource_create(
                    actor=request.user, dataset=dataset, name=data["name"],
                    name_en=data["name_en"], description=data["description"],
                    upload=content, filename=upload.name if upload else "",
                    url=data["url"] if not upload else "",
                    format=data["format"] if not upload else "")
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _uploaded_message(resource))
                return redirect("opendata:staff_dataset", dataset.name)
    return render(request, "opendata/staff/resource_form.html", {**_limits(),
        "form": form, "dataset": dataset}, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required(VIEW)
def resource_edit(request, name, resource_id):
    dataset = access_dataset(request.user, name, for_edit=True)
    resource = resource_for(dataset, resource_id)
    if resource.kind == Resource.Kind.LIVE:
        return render(request, "opendata/staff/live_files.html", {
            "dataset": dataset, "resource": resource},
            status=400 if request.method == "POST" else 200)
    if request.method != "POST":
        form = ResourceEditForm(kind=resource.kind, initial={
            "name": resource.name, "name_en": resource.name_en,
            "description": resource.description, "url": resource.url})
        return render(request, "opendata/staff/resource_form.html", {**_limits(),
            "form": form, "dataset": dataset, "resource": resource})
    form = ResourceEditForm(request.POST, request.FILES, kind=resource.kind)
    if form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("file", None)
        content = read_upload(upload) if upload else None
        if upload and content is None:
            _too_large(form)
        else:
            try:
                resource = services.resource_update(
                    actor=request.user, resource=resource, upload=content,
                    filename=upload.name if upload else "", **data)
            except CityhallError as error:
                _form_error(form, error)
            else:
                messages.success(request, _uploaded_message(resource) if upload
                                 else _("The file's details were saved."))
                return redirect("opendata:staff_dataset", dataset.name)
    return render(request, "opendata/staff/resource_form.html", {**_limits(),
        "form": form, "dataset": dataset, "resource": resource}, status=400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required(VIEW)
def resource_delete(request, name, resource_id):
    dataset = access_dataset(request.user, name, for_edit=True)
    resource = resource_for(dataset, resource_id)
    if resource.kind == Resource.Kind.LIVE:
        return render(request, "opendata/staff/live_files.html", {
            "dataset": dataset, "resource": resource},
            status=400 if request.method == "POST" else 200)
    if request.method == "POST":
        services.resource_delete(actor=request.user, resource=resource)
        messages.success(request, _("The file “%(name)s” was removed.") % {
            "name": resource.name})
        return redirect("opendata:staff_dataset", dataset.name)
    return render(request, "opendata/staff/confirm_delete.html", {
        "dataset": dataset, "resource": resource, "object_title": resource.name,
        "heading": _("Remove the file"),
        "explanation": _("The file disappears from the dataset's page, the API and DCAT."),
        "button": _("Remove the file")})


# --- API tokens -----------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_permission_required(VIEW)
def tokens(request):
    _editable_organizations(request.user)
    form, issued, status = TokenForm(), None, 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            token = ApiToken.objects.filter(user=request.user,
                                            pk=_int(request.POST.get("token"))).first()
            if token is None:
                raise NotFoundError()
            services.api_token_revoke(actor=request.user, token=token)
            messages.success(request, _("The token “%(name)s” was revoked.") % {
                "name": token.name})
            return redirect("opendata:staff_tokens")
        form = TokenForm(request.POST)
        status = 400
        if action == "issue" and form.is_valid():
            try:
                row, token = services.api_token_issue(actor=request.user,
                                                      name=form.cleaned_data["name"])
            except CityhallError as error:
                _form_error(form, error)
            else:
                issued, status, form = {"row": row, "token": token}, 200, TokenForm()
        elif action != "issue":
            form.add_error(None, _("Unknown action."))
    return render(request, "opendata/staff/tokens.html", {
        "form": form, "issued": issued,
        "tokens": ApiToken.objects.filter(user=request.user),
        "site": request.build_absolute_uri("/").rstrip("/")}, status=status)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
