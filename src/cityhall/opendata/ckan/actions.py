"""The read actions of the CKAN Action API (取組27), and the registry of all actions.

Each action is `fn(call, data) -> result` where `data` is the request's parameters (a dict,
as CKAN's `data_dict`) and `call` carries the request and the acting user (None =
anonymous). Read actions are "side-effect free": CKAN serves them on GET too. What a client
may see is decided by the one search engine (`selectors.dataset_search`) and the one door to a
dataset (`permissions.access_dataset`): private, draft and deleted datasets never show to
anyone who may not edit them, in any action.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from cityhall.core.errors import NotFoundError

from ..licences import LICENCES
from ..models import Dataset, Group, Organization, Resource, Tag
from ..permissions import access_dataset
from ..selectors import MAX_ROWS, SearchQueryError, dataset_search
from . import documents
from .errors import BIGGEST_OFFSET, as_bool, as_int, as_list, as_text, invalid, required_id


@dataclass
class Call:
    request: object
    user: object  # a staff user (token or session), or None
    name: str


@dataclass(frozen=True)
class Action:
    function: object
    side_effect_free: bool


ACTIONS: dict[str, Action] = {}


def action(*, side_effect_free: bool):
    def register(function):
        ACTIONS[function.__name__] = Action(function, side_effect_free)
        return function
    return register


def _public():
    return Q(state=Dataset.State.ACTIVE, private=False)


def _dataset_rows(queryset):
    return queryset.select_related("organization").prefetch_related("tags", "groups",
                                                                   "resources")


# -- site ----------------------------------------------------------------------------------

@action(side_effect_free=True)
def status_show(call, data):
    """What this catalogue is: its title, address, default language and API level."""
    from cityhall.core.models import Municipality

    municipality = Municipality.objects.first()
    place = municipality.name if municipality else str(settings.CITYHALL_SITE_NAME)
    return {
        "site_title": _("%(place)s open data catalogue") % {"place": place},
        "site_description": _("Open data published by %(place)s.") % {"place": place},
        "site_url": call.request.build_absolute_uri("/").rstrip("/"),
        "error_emails_to": None,
        "locale_default": settings.LANGUAGE_CODE,
        "extensions": ["cityhall_opendata"],
        # The CKAN API level this server follows (it is not CKAN itself).
        "ckan_version": "2.10.0",
    }


@action(side_effect_free=True)
def help_show(call, data):
    """The documentation of an action (`name`)."""
    name = required_id(data, "name")
    found = ACTIONS.get(name)
    if found is None:
        raise NotFoundError(_("Action function not found"))
    return " ".join((found.function.__doc__ or "").split())


@action(side_effect_free=True)
def license_list(call, data):
    """The licences a dataset may carry."""
    return [documents.licence_dict(licence) for licence in LICENCES.values()]


# -- datasets ------------------------------------------------------------------------------

@action(side_effect_free=True)
def package_list(call, data):
    """Names of the public datasets, sorted by name (`limit`, `offset`)."""
    limit = as_int(data, "limit", None)
    offset = min(as_int(data, "offset", 0), BIGGEST_OFFSET)
    names = Dataset.objects.filter(_public()).order_by("name").values_list("name", flat=True)
    if limit is not None:
        return list(names[offset:offset + min(limit, BIGGEST_OFFSET)])
    return list(names[offset:])


@action(side_effect_free=True)
def package_show(call, data):
    """A dataset by its name or id (`id`); other keys are ignored."""
    dataset = access_dataset(call.user, required_id(data))
    dataset = _dataset_rows(Dataset.objects.filter(pk=dataset.pk)).get()
    return documents.dataset_dict(call.request, dataset)


# CKAN's VALID_SOLR_PARAMETERS and package_search's own keys: the Solr tuning ones are
# accepted and ignored (this engine has no use for them), anything else is an error.
SEARCH_PARAMETERS = {"q", "fl", "fq", "fq_list", "rows", "start", "sort", "facet",
                     "facet.field", "facet.limit", "facet.mincount", "include_private",
                     "include_drafts", "include_deleted", "use_default_schema", "extras",
                     "qf", "wt", "bf", "boost", "tie", "defType", "mm", "df"}


@action(side_effect_free=True)
def package_search(call, data):
    """Search datasets: q, fq, fq_list, rows (at most 1000), start, sort, facet, facet.field
    (a JSON list), facet.limit, facet.mincount, include_private, include_drafts."""
    unknown = sorted(key for key in data
                     if key not in SEARCH_PARAMETERS and not key.startswith("ext_"))
    if unknown:
        # CKAN's own message, word for word (clients and people search for it).
        raise SearchQueryError(f"Search Query is invalid: Invalid search parameters: "
                               f"{str(unknown)[:200]}")
    rows = min(as_int(data, "rows", 10), MAX_ROWS)
    start = min(as_int(data, "start", 0), BIGGEST_OFFSET)
    facet = as_bool(data, "facet", True)
    facet_fields = as_list(data, "facet.field", json_string=True) if facet else []
    facet_limit = as_int(data, "facet.limit", 50, minimum=-1)
    facet_mincount = as_int(data, "facet.mincount", 1)
    fields = [name.strip() for name in as_text(data, "fl").split(",") if name.strip()]
    result = dataset_search(
        user=call.user, q=as_text(data, "q"), fq=as_text(data, "fq"),
        fq_list=as_list(data, "fq_list"), sort=as_text(data, "sort") or None,
        start=start, rows=rows, facet_fields=facet_fields, facet_limit=facet_limit,
        facet_mincount=facet_mincount,
        include_private=as_bool(data, "include_private") and call.user is not None,
        include_drafts=as_bool(data, "include_drafts") and call.user is not None,
        language=getattr(call.request, "LANGUAGE_CODE", "ja") or "ja")
    results = [documents.dataset_dict(call.request, row) for row in result.datasets]
    if fields and fields != ["*"]:
        results = [{key: row.get(key) for key in fields} for row in results]
    return {
        "count": result.count,
        "sort": result.sort,
        "results": results,
        "facets": {name: {item.name: item.count for item in items}
                   for name, items in result.facets.items()},
        "search_facets": {name: {"title": name, "items": [
            {"name": item.name, "display_name": item.display_name, "count": item.count}
            for item in items]} for name, items in result.facets.items()},
    }


@action(side_effect_free=True)
def package_autocomplete(call, data):
    """Datasets whose name or title contains `q` (at most `limit`, default 10)."""
    text = as_text(data, "q").strip()
    limit = min(as_int(data, "limit", 10), 100)
    if not text:
        return []
    rows = (Dataset.objects.filter(_public())
            .filter(Q(name__icontains=text) | Q(title__icontains=text))
            .order_by("name")[:limit])
    return [{"name": row.name, "title": row.title,
             "match_field": "name" if text.lower() in row.name else "title",
             "match_displayed": row.name if text.lower() in row.name else row.title}
            for row in rows]


@action(side_effect_free=True)
def current_package_list_with_resources(call, data):
    """Public datasets with their resources, the most recently changed first (`limit`,
    `offset`)."""
    limit = min(as_int(data, "limit", MAX_ROWS), MAX_ROWS)
    offset = min(as_int(data, "offset", 0), BIGGEST_OFFSET)
    page = dataset_search(user=None, sort="metadata_modified desc", start=offset, rows=limit)
    return [documents.dataset_dict(call.request, row) for row in page.datasets]


@action(side_effect_free=True)
def resource_show(call, data):
    """A resource by its id (`id`), with its dataset's id as `package_id`."""
    import uuid

    text = required_id(data)
    try:
        resource_id = uuid.UUID(text)
    except ValueError:
        raise NotFoundError(_("Resource was not found.")) from None
    resource = (Resource.objects.filter(pk=resource_id, state=Dataset.State.ACTIVE)
                .select_related("dataset").first())
    if resource is None:
        raise NotFoundError(_("Resource was not found."))
    try:
        access_dataset(call.user, str(resource.dataset_id))
    except NotFoundError:
        raise NotFoundError(_("Resource was not found.")) from None
    return documents.resource_dict(call.request, resource)


# -- organizations, groups, tags -----------------------------------------------------------

def _group_list(data, model, to_dict, through: str):
    all_fields = as_bool(data, "all_fields")
    default_limit = 25 if all_fields else 1000
    limit = min(as_int(data, "limit", default_limit), default_limit)
    offset = min(as_int(data, "offset", 0), BIGGEST_OFFSET)
    sort = as_text(data, "sort", "title asc").strip().lower() or "title asc"
    bits = sort.split()
    keys = {"name": "name", "title": "title", "package_count": "package_count"}
    if not bits or bits[0] not in keys or len(bits) > 2 or (
            len(bits) == 2 and bits[1] not in ("asc", "desc")):
        raise invalid("sort", _("Cannot sort by “%(sort)s”.") % {"sort": sort[:50]})
    descending = len(bits) == 2 and bits[1] == "desc"
    rows = model.objects.annotate(package_count=Count(
        through, filter=Q(**{f"{through}__state": Dataset.State.ACTIVE,
                             f"{through}__private": False}), distinct=True))
    names = as_list(data, "organizations" if model is Organization else "groups")
    if names:
        rows = rows.filter(name__in=names)
    query = as_text(data, "q").strip()
    if query:
        rows = rows.filter(Q(name__icontains=query) | Q(title__icontains=query))
    order = f"-{keys[bits[0]]}" if descending else keys[bits[0]]
    rows = rows.order_by(order, "name")[offset:offset + limit]
    if all_fields:
        return [to_dict(row, package_count=row.package_count) for row in rows]
    return [row.name for row in rows]


def _find(model, data):
    text = required_id(data)
    rows = model.objects.filter(name=text)
    try:
        import uuid

        rows = model.objects.filter(Q(name=text) | Q(pk=uuid.UUID(text)))
    except ValueError:
        pass
    found = rows.first()
    if found is None:
        raise NotFoundError(_("Organization was not found.") if model is Organization
                            else _("Group was not found."))
    return found


def _group_show(call, data, model, fq_field: str, to_dict):
    found = _find(model, data)
    include = as_bool(data, "include_datasets")
    # The packages of the show are those the caller may see (private ones only for editors).
    page = dataset_search(user=call.user, fq=f'{fq_field}:"{found.name}"',
                          sort="name asc", rows=MAX_ROWS if include else 0,
                          include_private=call.user is not None)
    public_count = Dataset.objects.filter(_public()).filter(
        **({"organization": found} if model is Organization else {"groups": found})).count()
    result = to_dict(found, package_count=public_count if call.user is None else page.count)
    if include:
        result["packages"] = [documents.dataset_dict(call.request, row)
                              for row in page.datasets]
    return result


@action(side_effect_free=True)
def organization_list(call, data):
    """Publishing organizations: names, or dicts with `all_fields` (sort, limit, offset)."""
    return _group_list(data, Organization, documents.organization_dict, "datasets")


@action(side_effect_free=True)
def organization_show(call, data):
    """An organization by name or id (`id`); its datasets with `include_datasets`."""
    return _group_show(call, data, Organization, "organization",
                       documents.organization_dict)


@action(side_effect_free=True)
def group_list(call, data):
    """Themes: names, or dicts with `all_fields` (sort, limit, offset)."""
    return _group_list(data, Group, documents.group_dict, "datasets")


@action(side_effect_free=True)
def group_show(call, data):
    """A theme by name or id (`id`); its datasets with `include_datasets`."""
    return _group_show(call, data, Group, "groups", documents.group_dict)


@action(side_effect_free=True)
def tag_list(call, data):
    """Tags of public datasets (`query` filters them; dicts with `all_fields`)."""
    if as_text(data, "vocabulary_id"):
        return []
    rows = Tag.objects.filter(datasets__in=Dataset.objects.filter(_public())).distinct()
    query = as_text(data, "query") or as_text(data, "q")
    if query:
        rows = rows.filter(name__icontains=query.strip())
    rows = rows.order_by("name")
    if as_bool(data, "all_fields"):
        return [documents.tag_dict(tag) for tag in rows]
    return [tag.name for tag in rows]
