"""The write actions of the CKAN Action API (取組27): package_create, package_update,
package_patch, package_delete, resource_create, resource_update and resource_delete.

They need a staff member's API token (`Authorization` or `X-CKAN-API-Key`); the views refuse
a write without one. Every change goes through `services` (which check the permission,
validate and audit), and each action is one transaction: a dataset with a bad resource is not
half created. Keys CKAN's schema knows but this catalogue does not keep (author, ...) are
ignored as CKAN ignores unknown keys; our own fields without a CKAN key come as `extras`.
"""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from cityhall.core.errors import NotFoundError, ValidationFailed

from .. import services
from ..models import Dataset, Organization, Resource
from ..permissions import access_dataset
from . import documents
from .actions import _dataset_rows, _find, action
from .errors import FieldErrors, as_bool, as_text, invalid, required_id

# CKAN keys -> our field names.
RENAMED = {"maintainer": "contact_name", "maintainer_email": "contact_email"}
TEXT_KEYS = ("title", "notes", "url", "version", "license_id", "maintainer",
             "maintainer_email")
# Field names of the services -> the CKAN key a client sent.
FIELD_KEYS = {"contact_name": "maintainer", "contact_email": "maintainer_email",
              "organization": "owner_org", "file": "upload"}
DEFAULTS = {"title": "", "notes": "", "url": "", "version": "", "license_id": "CC-BY-4.0",
            "contact_name": "", "contact_email": "", "title_en": "", "notes_en": "",
            "update_frequency": "IRREG", "spatial": "", "temporal_start": None,
            "temporal_end": None, "contact_phone": "", "standard": "", "private": False}


def _field_error(error: ValidationFailed) -> FieldErrors:
    key = FIELD_KEYS.get(error.field or "", error.field) or "message"
    return FieldErrors({key: [str(error.message)]})


def _names(data: dict, key: str) -> list[str] | None:
    """Tags or groups as CKAN sends them: [{"name": ...}] (or plain names)."""
    if key not in data or data[key] is None:
        return None
    value = data[key]
    if not isinstance(value, list):
        raise invalid(key, _("Must be a list."))
    names = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("name") or item.get("id")
        if not isinstance(item, str) or not item.strip():
            raise invalid(key, _("Each item needs a name."))
        names.append(item.strip())
    return names


def _extras(data: dict) -> dict:
    value = data.get("extras")
    if value in (None, ""):
        return {}
    if not isinstance(value, list):
        raise invalid("extras", _("Must be a list."))
    found = {}
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise invalid("extras", _("Each extra is an object with a key and a value."))
        key = item["key"]
        if key == "live":
            continue
        if key not in documents.EXTRA_FIELDS:
            raise invalid("extras", _("Unknown extra “%(key)s”; this catalogue keeps: "
                                      "%(known)s.") % {"key": key[:50],
                                                       "known": ", ".join(documents.EXTRA_FIELDS)})
        found[key] = item.get("value")
    return found


def _dataset_values(data: dict, *, base: dict) -> dict:
    """The service's keyword values from a CKAN package dict, on top of `base`."""
    values = dict(base)
    for key in TEXT_KEYS:
        if key in data:
            values[RENAMED.get(key, key)] = as_text(data, key)
    if "private" in data:
        values["private"] = as_bool(data, "private")
    for key, value in _extras(data).items():
        if key in ("temporal_start", "temporal_end"):
            if value in (None, ""):
                values[key] = None
                continue
            try:
                values[key] = date.fromisoformat(str(value))
            except ValueError:
                raise invalid("extras", _("Dates are written as YYYY-MM-DD.")) from None
        else:
            values[key] = "" if value is None else str(value)
    return values


def _check_lengths(model, values: dict) -> None:
    """Too long for its column: refused here (PostgreSQL would refuse it less politely)."""
    for key, value in values.items():
        limit = getattr(model._meta.get_field(key), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise invalid(FIELD_KEYS.get(key, key), _("At most %(count)d characters.")
                          % {"count": limit})


def _organization(data: dict) -> Organization | None:
    if not data.get("owner_org"):
        return None
    try:
        return _find(Organization, {"id": as_text(data, "owner_org")})
    except NotFoundError:
        raise invalid("owner_org", _("Organization does not exist")) from None


def _state(data: dict) -> str | None:
    state = as_text(data, "state") or None
    if state not in (None, Dataset.State.ACTIVE, Dataset.State.DRAFT):
        raise invalid("state", _("Unknown state."))
    return state


def _resource_items(data: dict) -> list[dict] | None:
    if "resources" not in data or data["resources"] is None:
        return None
    items = data["resources"]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise invalid("resources", _("Must be a list of resources."))
    return items


def _link_create(call, dataset: Dataset, item: dict) -> Resource:
    url = as_text(item, "url").strip()
    _check_lengths(Resource, {"url": url, "name": as_text(item, "name")})
    return services.resource_create(
        actor=call.user, dataset=dataset, url=url,
        name=as_text(item, "name").strip() or url.rsplit("/", 1)[-1] or url,
        format=as_text(item, "format"), description=as_text(item, "description"))


def _resources_replace(call, dataset: Dataset, items: list[dict]) -> None:
    """CKAN's replace: resources named by id are kept (and changed), those not named are
    deleted, those without an id are added as links."""
    current = {str(row.pk): row for row in dataset.resources.exclude(
        state=Dataset.State.DELETED)}
    kept = {as_text(item, "id") for item in items if item.get("id")}
    unknown = kept - set(current)
    if unknown:
        raise invalid("resources", _("Unknown resource “%(id)s”.") % {"id": sorted(unknown)[0]})
    for resource_id, row in current.items():
        if resource_id not in kept and row.kind != Resource.Kind.LIVE:
            services.resource_delete(actor=call.user, resource=row)
    for item in items:
        if not item.get("id"):
            _link_create(call, dataset, item)
            continue
        row = current[as_text(item, "id")]
        if row.kind == Resource.Kind.LIVE:
            continue
        changes = {key: as_text(item, key) for key in ("name", "description") if key in item}
        if row.kind == Resource.Kind.LINK and "url" in item:
            changes["url"] = as_text(item, "url")
        if any(getattr(row, key) != value for key, value in changes.items()):
            services.resource_update(actor=call.user, resource=row, **changes)


def _answer(call, dataset: Dataset) -> dict:
    return documents.dataset_dict(call.request, _dataset_rows(
        Dataset.objects.filter(pk=dataset.pk)).get())


def _wrapped(function):
    """Service validation errors as CKAN's {field: [message]}."""
    def run(call, data):
        try:
            with transaction.atomic():
                return function(call, data)
        except ValidationFailed as error:
            raise _field_error(error) from None
    run.__name__, run.__doc__ = function.__name__, function.__doc__
    return run


@action(side_effect_free=False)
@_wrapped
def package_create(call, data):
    """Create a dataset: name, title, owner_org (required), notes, license_id, private, tags,
    groups, extras, url, version, maintainer, maintainer_email, resources (links)."""
    errors = {}
    if not as_text(data, "name").strip():
        errors["name"] = [_("Missing value")]
    if not data.get("owner_org"):
        errors["owner_org"] = [_("Missing value")]
    if errors:
        raise FieldErrors(errors)
    organization = _organization(data)
    items = _resource_items(data)
    values = _dataset_values(data, base={})
    _check_lengths(Dataset, {**values, "name": as_text(data, "name")})
    title = values.pop("title", "") or as_text(data, "name")
    dataset = services.dataset_create(
        actor=call.user, organization=organization, name=as_text(data, "name").strip(),
        title=title, tags=_names(data, "tags"), groups=_names(data, "groups"),
        state=_state(data) or Dataset.State.ACTIVE, **values)
    for item in items or []:
        _link_create(call, dataset, item)
    return _answer(call, dataset)


def _update(call, data, *, patch: bool):
    dataset = access_dataset(call.user, required_id(data), for_edit=True)
    if patch:
        base = {}
        tags, groups = _names(data, "tags"), _names(data, "groups")
    else:
        base = dict(DEFAULTS)
        tags, groups = _names(data, "tags") or [], _names(data, "groups") or []
    values = _dataset_values(data, base=base)
    if not patch and "title" not in data:
        values["title"] = dataset.title  # CKAN's title falls back too; never emptied
    name = as_text(data, "name").strip()
    if name and name != dataset.name:
        values["name"] = name
    _check_lengths(Dataset, values)
    items = _resource_items(data)
    dataset = services.dataset_update(
        actor=call.user, dataset=dataset, tags=tags, groups=groups,
        organization=_organization(data), state=_state(data), **values)
    if items is not None:
        _resources_replace(call, dataset, items)
    return _answer(call, dataset)


@action(side_effect_free=False)
@_wrapped
def package_update(call, data):
    """Replace a dataset's metadata (`id` = name or id): keys not given go back to their
    defaults, as in CKAN; `resources`, when given, replace the resources."""
    return _update(call, data, patch=False)


@action(side_effect_free=False)
@_wrapped
def package_patch(call, data):
    """Change only the keys given of a dataset (`id` = name or id)."""
    return _update(call, data, patch=True)


@action(side_effect_free=False)
@_wrapped
def package_delete(call, data):
    """Withdraw a dataset (`id` = name or id)."""
    dataset = access_dataset(call.user, required_id(data), for_edit=True)
    services.dataset_delete(actor=call.user, dataset=dataset)
    return None


def _upload(data: dict):
    upload = data.get("upload")
    if upload is None or isinstance(upload, str):
        return None, ""
    if not hasattr(upload, "read"):
        raise invalid("upload", _("Send the file as multipart/form-data."))
    return upload.read(), upload.name or ""


@action(side_effect_free=False)
@_wrapped
def resource_create(call, data):
    """Add a resource to a dataset (`package_id`): a link (`url`) or a file (multipart field
    `upload`); name, description, format."""
    dataset = access_dataset(call.user, required_id(data, "package_id"), for_edit=True)
    content, filename = _upload(data)
    if content is None:
        if not as_text(data, "url").strip():
            raise invalid("url", _("Give a file (upload) or an address (url)."))
        resource = _link_create(call, dataset, data)
    else:
        _check_lengths(Resource, {"name": as_text(data, "name")})
        filename = filename[-200:]
        resource = services.resource_create(
            actor=call.user, dataset=dataset, upload=content, filename=filename,
            name=as_text(data, "name").strip() or filename or _("File"),
            format=as_text(data, "format"), description=as_text(data, "description"))
    return documents.resource_dict(call.request, Resource.objects.select_related(
        "dataset").get(pk=resource.pk))


def _resource_for_edit(call, data) -> Resource:
    import uuid

    try:
        resource_id = uuid.UUID(required_id(data))
    except ValueError:
        raise NotFoundError(_("Resource was not found.")) from None
    resource = (Resource.objects.filter(pk=resource_id).exclude(state=Dataset.State.DELETED)
                .select_related("dataset").first())
    if resource is None:
        raise NotFoundError(_("Resource was not found."))
    access_dataset(call.user, str(resource.dataset_id), for_edit=True)
    return resource


@action(side_effect_free=False)
@_wrapped
def resource_update(call, data):
    """Change a resource (`id`): name, description, url (links), or a new file (`upload`)."""
    resource = _resource_for_edit(call, data)
    content, filename = _upload(data)
    changes = {key: as_text(data, key) for key in ("name", "description") if key in data}
    if resource.kind == Resource.Kind.LINK and "url" in data:
        changes["url"] = as_text(data, "url")
    _check_lengths(Resource, changes)
    resource = services.resource_update(actor=call.user, resource=resource, upload=content,
                                        filename=filename, **changes)
    return documents.resource_dict(call.request, Resource.objects.select_related(
        "dataset").get(pk=resource.pk))


@action(side_effect_free=False)
@_wrapped
def resource_delete(call, data):
    """Remove a resource (`id`)."""
    services.resource_delete(actor=call.user, resource=_resource_for_edit(call, data))
    return None

