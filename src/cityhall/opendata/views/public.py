"""The public catalogue pages (取組27), at CKAN's own addresses: the dataset search with facets
(/dataset/), a dataset (/dataset/<name>), a resource with its preview
(/dataset/<name>/resource/<id>), the organizations and the themes (/organization/, /group/).

Anyone may read them; private and draft datasets are shown only to staff who may edit them
(`permissions.access_dataset`), everyone else gets "not found". Every page works without
JavaScript: the facets are links, the search is a GET form, and the only script draws the map
of a GeoJSON resource over a table that is there without it. The search goes through the one
search engine (`selectors.dataset_search`), so the pages, CKAN's package_search and DCAT agree.
"""

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from cityhall.core.errors import NotFoundError

from .. import links, live
from ..forms import SearchForm
from ..models import Dataset, Group, Organization, Resource
from ..permissions import access_dataset, may_edit_dataset
from ..previews import resource_preview
from ..selectors import DEFAULT_SORT, SearchQueryError, dataset_search

ROWS = 20
FACETS = [
    ("organization", gettext_lazy("Organizations")),
    ("groups", gettext_lazy("Themes")),
    ("tags", gettext_lazy("Tags")),
    ("res_format", gettext_lazy("Formats")),
    ("license_id", gettext_lazy("Licences")),
]
FACET_VALUES_MAX = 10  # values of one facet chosen at once
FACET_ITEMS_SHOWN = 30
GSI_TILES = "https://cyberjapandata.gsi.go.jp"
TILES_URL = GSI_TILES + "/xyz/std/{z}/{x}/{y}.png"
MAP_CSP = {"img-src": ["'self'", "data:", GSI_TILES]}


def _language() -> str:
    return (get_language() or "ja").split("-")[0]


def _toggle_url(params, field: str, value: str) -> str:
    """The query string with `value` of facet `field` added, or removed if it was chosen."""
    query = params.copy()
    query.pop("page", None)
    values = query.getlist(field)
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    query.setlist(field, values)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _chosen_facets(params, fixed: str | None) -> tuple[dict[str, list[str]], str]:
    """The facet values chosen in the query string, and an error message if one is unusable."""
    chosen: dict[str, list[str]] = {}
    for field, _label in FACETS:
        if field == fixed:
            continue
        values = [value.strip() for value in params.getlist(field)]
        if len(values) > FACET_VALUES_MAX:
            return {}, _("Choose at most %(count)s values of one filter.") % {
                "count": FACET_VALUES_MAX}
        for value in values:
            if not value or len(value) > 100 or '"' in value or "\\" in value:
                return {}, _("A filter of this search is not valid. Remove it and try "
                             "again.")
        if values:
            chosen[field] = list(dict.fromkeys(values))
    return chosen, ""


def _search_page(request, *, template: str, context: dict, fixed: tuple[str, str] | None = None):
    """The search page, optionally restricted to one organization or theme (`fixed`)."""
    params = request.GET
    form = SearchForm(params)
    fixed_field = fixed[0] if fixed else None
    chosen, error = _chosen_facets(params, fixed_field)
    status, result, page = 200, None, None
    if not form.is_valid():
        error = error or _("The search could not be understood: %(reason)s") % {
            "reason": " ".join(str(message) for messages in form.errors.values()
                               for message in messages)}
    if not error:
        data = form.cleaned_data
        number = data["page"] or 1
        fq_list = [f'{field}:"{value}"' for field, values in chosen.items()
                   for value in values]
        if fixed:
            fq_list.append(f'{fixed[0]}:"{fixed[1]}"')
        try:
            result = dataset_search(
                user=request.user, q=data["q"], fq_list=fq_list,
                sort=data["sort"] or DEFAULT_SORT, start=(number - 1) * ROWS, rows=ROWS,
                facet_fields=[field for field, _label in FACETS if field != fixed_field],
                facet_limit=FACET_ITEMS_SHOWN, include_private=True, language=_language())
        except SearchQueryError as query_error:
            error = str(query_error.message)
        else:
            paginator = Paginator(range(result.count), ROWS)
            if number > max(paginator.num_pages, 1):
                error, status = _("There is no page %(number)s of this search.") % {
                    "number": number}, 404
                result = None
            else:
                page = paginator.page(number)
                for dataset in result.datasets:
                    dataset.formats = sorted({
                        resource.format for resource in dataset.resources.all()
                        if resource.format and resource.state != Dataset.State.DELETED})
    if error and status == 200:
        status = 400
    facets = []
    if result is not None:
        for field, label in FACETS:
            if field == fixed_field:
                continue
            items = [{"name": item.name, "label": item.display_name, "count": item.count,
                      "chosen": item.name in chosen.get(field, []),
                      "url": _toggle_url(params, field, item.name)}
                     for item in result.facets.get(field, [])]
            # A chosen value stays listed (to remove it) even if the engine counts none.
            listed = {item["name"] for item in items}
            items += [{"name": value, "label": value, "count": 0, "chosen": True,
                       "url": _toggle_url(params, field, value)}
                      for value in chosen.get(field, []) if value not in listed]
            if items:
                facets.append({"field": field, "label": label, "items": items})
    active = [{"field": field, "label": label, "value": value,
               "url": _toggle_url(params, field, value)}
              for field, label in FACETS for value in chosen.get(field, [])]
    return render(request, template, {
        **context, "form": form, "error": error, "result": result, "page": page,
        "facets": facets, "active_filters": active,
        "clear_url": request.path,
    }, status=status)


@require_safe
def dataset_list(request):
    return _search_page(request, template="opendata/dataset_list.html", context={})


@require_safe
def dataset_detail(request, name):
    dataset = access_dataset(request.user, name)
    live.live_refresh_if_stale(dataset)
    resources = []
    for resource in _resources(dataset):
        download = links.resource_download_url(resource)
        variants = []
        if resource.format == "CSV" and resource.kind != Resource.Kind.LINK and resource.file:
            variants = [(f"{download}?encoding=utf-8-bom", _("UTF-8 (with BOM, for Excel)")),
                        (f"{download}?encoding=shift_jis", _("Shift_JIS"))]
        resources.append({"resource": resource, "download": download, "variants": variants,
                          "available": resource.kind == Resource.Kind.LINK
                          or bool(resource.file)})
    return render(request, "opendata/dataset_detail.html", {
        "dataset": dataset, "resources": resources, "tags": list(dataset.tags.all()),
        "groups": list(dataset.groups.all()),
        "may_edit": may_edit_dataset(request.user, dataset)})


def _resources(dataset: Dataset):
    return dataset.resources.exclude(state=Dataset.State.DELETED).order_by("position",
                                                                           "created")


def resource_for(dataset: Dataset, resource_id) -> Resource:
    resource = _resources(dataset).filter(pk=resource_id).first()
    if resource is None:
        raise NotFoundError()
    resource.dataset = dataset
    return resource


@require_safe
@csp_override(MAP_CSP)
def resource_detail(request, name, resource_id):
    dataset = access_dataset(request.user, name)
    live.live_refresh_if_stale(dataset)
    resource = resource_for(dataset, resource_id)
    download = links.resource_download_url(resource)
    variants = []
    if resource.format == "CSV" and resource.kind != Resource.Kind.LINK and resource.file:
        variants = [(f"{download}?encoding=utf-8-bom", _("UTF-8 (with BOM, for Excel)")),
                    (f"{download}?encoding=shift_jis", _("Shift_JIS"))]
    return render(request, "opendata/resource_detail.html", {
        "dataset": dataset, "resource": resource, "download": download,
        "variants": variants, "preview": resource_preview(resource),
        "tiles_url": TILES_URL})


# --- organizations and themes ---------------------------------------------------------------

PUBLIC = Q(datasets__state=Dataset.State.ACTIVE, datasets__private=False)


@require_safe
def organization_list(request):
    organizations = Organization.objects.annotate(
        dataset_count=Count("datasets", filter=PUBLIC)).order_by("name")
    return render(request, "opendata/organization_list.html",
                  {"organizations": organizations})


@require_safe
def organization_detail(request, name):
    organization = Organization.objects.filter(name=name).first()
    if organization is None:
        raise NotFoundError()
    return _search_page(request, template="opendata/organization_detail.html",
                        context={"organization": organization},
                        fixed=("organization", organization.name))


@require_safe
def group_list(request):
    groups = Group.objects.annotate(dataset_count=Count("datasets", filter=PUBLIC)
                                    ).order_by("name")
    return render(request, "opendata/group_list.html", {"groups": groups})


@require_safe
def group_detail(request, name):
    group = Group.objects.filter(name=name).first()
    if group is None:
        raise NotFoundError()
    return _search_page(request, template="opendata/group_detail.html",
                        context={"group": group}, fixed=("groups", group.name))
