"""Every change to the open data catalogue (取組27, 30, 16): one transaction each, audited.

Staff pages, the CKAN write actions (`package_create`, ...) and the live-data refresh all come
through here, so the rules (names, licences, what an upload may be, who may publish where)
hold whichever door a change comes in by.
"""

import hashlib
import re
import secrets
from datetime import date

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.core.models import Department
from cityhall.core.permissions import can

from .licences import LICENCES
from .models import NAME_PATTERN, ApiToken, Dataset, Group, Organization, Resource, Tag
from .permissions import may_edit_dataset, may_edit_organization
from .selectors import normalise
from .uploads import FORMATS, CheckedUpload, check_upload

DATASET_FIELDS = ("title", "title_en", "notes", "notes_en", "license_id", "update_frequency",
                  "spatial", "temporal_start", "temporal_end", "contact_name",
                  "contact_email", "contact_phone", "url", "version", "standard", "private")
TAG_PATTERN = re.compile(r"^[\w \-.]{1,100}$")


# -- organizations and themes --------------------------------------------------------------

def organization_for_department(*, department: Department) -> Organization:
    """The department's publishing organization, created on first use (name = its code)."""
    organization, _created = Organization.objects.get_or_create(
        department=department,
        defaults={"name": department.code, "title": department.name,
                  "title_en": department.name_en})
    return organization


def group_ensure(*, name: str, title: str, title_en: str = "") -> Group:
    group, _created = Group.objects.get_or_create(
        name=name, defaults={"title": title, "title_en": title_en})
    return group


def _catalogue_save(obj, *, actor, permission: str, relation: str, label: str):
    """Save an organization or a theme changed by the open data officers (from the admin):
    names follow CKAN's rule, a title is required, and the datasets that show the old title
    are searchable by the new one."""
    if not can(actor, permission):
        raise PermissionDeniedError()
    if not re.match(NAME_PATTERN, obj.name or ""):
        raise ValidationFailed(_("The name must be 2 to 100 characters of lower-case letters "
                                 "a–z, digits, “-” and “_”."), field="name")
    obj.title = " ".join((obj.title or "").split())
    if not obj.title:
        raise ValidationFailed(_("A title is required."), field="title")
    created = obj._state.adding
    with transaction.atomic():
        obj.save()
        datasets = Dataset.objects.filter(**{relation: obj}).select_related("organization")
        for dataset in datasets:
            dataset_search_text_refresh(dataset)
        audit_record(actor=actor, action=f"opendata.{label}_{'create' if created else 'update'}",
                     target=obj, details={"name": obj.name})
    return obj


def organization_save(*, organization: Organization, actor) -> Organization:
    return _catalogue_save(organization, actor=actor, relation="organization",
                           label="organization", permission="opendata.change_organization")


def group_save(*, group: Group, actor) -> Group:
    return _catalogue_save(group, actor=actor, relation="groups", label="group",
                           permission="opendata.change_group")


# -- datasets -------------------------------------------------------------------------------

def _clean_tags(tags) -> list[str]:
    cleaned = []
    for tag in tags or []:
        name = " ".join(str(tag).split())
        if not name:
            continue
        if not TAG_PATTERN.match(name):
            raise ValidationFailed(
                _("Tag “%(tag)s” may contain only letters, digits, spaces and - _ . "
                  "(at most 100 characters).") % {"tag": name[:100]}, field="tags")
        if name not in cleaned:
            cleaned.append(name)
    return cleaned


def _validate_dataset(values: dict) -> None:
    name = values.get("name")
    if name is not None and not re.match(NAME_PATTERN, name):
        raise ValidationFailed(_("The name must be 2 to 100 characters of lower-case letters "
                                 "a–z, digits, “-” and “_”."), field="name")
    if "title" in values and not str(values["title"] or "").strip():
        raise ValidationFailed(_("A dataset needs a title."), field="title")
    if "license_id" in values and values["license_id"] not in LICENCES:
        raise ValidationFailed(_("Unknown licence “%(licence)s”.")
                               % {"licence": str(values["license_id"])[:50]},
                               field="license_id")
    if ("update_frequency" in values
            and values["update_frequency"] not in Dataset.Frequency.values):
        raise ValidationFailed(_("Unknown update frequency."), field="update_frequency")
    start, end = values.get("temporal_start"), values.get("temporal_end")
    for key in ("temporal_start", "temporal_end"):
        if values.get(key) is not None and not isinstance(values[key], date):
            raise ValidationFailed(_("Dates are written as YYYY-MM-DD."), field=key)
    if start and end and start > end:
        raise ValidationFailed(_("The coverage cannot end before it starts."),
                               field="temporal_end")


def dataset_search_text_refresh(dataset: Dataset) -> None:
    parts = [dataset.name, dataset.title, dataset.title_en, dataset.notes, dataset.notes_en,
             dataset.organization.title, dataset.organization.title_en,
             dataset.organization.name, dataset.standard,
             *dataset.tags.values_list("name", flat=True),
             *dataset.groups.values_list("title", flat=True)]
    text = normalise(" ".join(part for part in parts if part))
    Dataset.objects.filter(pk=dataset.pk).update(search_text=text)
    dataset.search_text = text


def _set_relations(dataset: Dataset, tags, groups) -> None:
    if tags is not None:
        dataset.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    if groups is not None:
        found = list(Group.objects.filter(name__in=groups))
        missing = sorted(set(groups) - {group.name for group in found})
        if missing:
            raise ValidationFailed(_("Unknown theme “%(group)s”.") % {"group": missing[0]},
                                   field="groups")
        dataset.groups.set(found)


@transaction.atomic
def dataset_create(*, actor, organization: Organization, name: str, title: str,
                   tags=None, groups=None, live_key: str = "", state: str = "active",
                   **values) -> Dataset:
    """Create a dataset in `organization`, which `actor` must be allowed to publish for
    (`actor=None` is the platform itself, publishing a live dataset)."""
    if actor is not None and not may_edit_organization(actor, organization):
        raise PermissionDeniedError()
    unknown = set(values) - set(DATASET_FIELDS) - {"is_demo"}
    if unknown:
        raise ValidationFailed(_("Unknown field “%(field)s”.") % {"field": sorted(unknown)[0]})
    values = {"title": title, "name": name, **values}
    _validate_dataset(values)
    tags = _clean_tags(tags)
    if state not in (Dataset.State.ACTIVE, Dataset.State.DRAFT):
        raise ValidationFailed(_("Unknown state."), field="state")
    if Dataset.objects.filter(name=name).exists():
        raise ValidationFailed(_("That name is already in use."), field="name")
    now = timezone.now()
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(
                organization=organization, live_key=live_key, state=state,
                created_by=actor if getattr(actor, "pk", None) else None,
                metadata_created=now, metadata_modified=now, **values)
    except IntegrityError:
        raise ValidationFailed(_("That name is already in use."), field="name") from None
    _set_relations(dataset, tags, groups)
    dataset_search_text_refresh(dataset)
    audit_record(actor=actor, action="opendata.dataset_create", target=dataset,
                 details={"name": dataset.name, "organization": organization.name})
    return dataset


@transaction.atomic
def dataset_update(*, actor, dataset: Dataset, tags=None, groups=None,
                   organization: Organization | None = None, state: str | None = None,
                   **values) -> Dataset:
    """Change a dataset's metadata. Only the keys given change; `tags`/`groups` given as a
    list replace the old ones."""
    dataset = Dataset.objects.select_for_update().select_related("organization").get(
        pk=dataset.pk)
    if actor is not None and not may_edit_dataset(actor, dataset):
        raise PermissionDeniedError()
    if organization is not None and actor is not None and not may_edit_organization(
            actor, organization):
        raise PermissionDeniedError()
    unknown = set(values) - set(DATASET_FIELDS) - {"name"}
    if unknown:
        raise ValidationFailed(_("Unknown field “%(field)s”.") % {"field": sorted(unknown)[0]})
    _validate_dataset(values)
    if "name" in values and Dataset.objects.filter(name=values["name"]).exclude(
            pk=dataset.pk).exists():
        raise ValidationFailed(_("That name is already in use."), field="name")
    if state is not None:
        if state not in (Dataset.State.ACTIVE, Dataset.State.DRAFT):
            raise ValidationFailed(_("Unknown state."), field="state")
        values["state"] = state
    tags = _clean_tags(tags) if tags is not None else None
    changed = sorted(key for key, value in values.items() if getattr(dataset, key) != value)
    for key, value in values.items():
        setattr(dataset, key, value)
    if organization is not None and organization.pk != dataset.organization_id:
        dataset.organization = organization
        changed.append("organization")
    dataset.metadata_modified = timezone.now()
    dataset.save()
    _set_relations(dataset, tags, groups)
    dataset_search_text_refresh(dataset)
    audit_record(actor=actor, action="opendata.dataset_update", target=dataset,
                 details={"fields": changed, "tags": tags is not None,
                          "groups": groups is not None})
    return dataset


@transaction.atomic
def dataset_delete(*, actor, dataset: Dataset) -> None:
    """Withdraw a dataset: it disappears from every list and call; the row stays (CKAN's
    "deleted" state) so that its name is not reused for something else by mistake."""
    if actor is not None and not may_edit_dataset(actor, dataset):
        raise PermissionDeniedError()
    Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.DELETED,
                                                 metadata_modified=timezone.now())
    audit_record(actor=actor, action="opendata.dataset_delete", target=dataset)


# -- resources ------------------------------------------------------------------------------

def _touch(dataset: Dataset, when=None) -> None:
    Dataset.objects.filter(pk=dataset.pk).update(metadata_modified=when or timezone.now())


def _store(resource: Resource, checked: CheckedUpload, stem: str) -> None:
    resource.file.save(f"{stem}.{checked.extension}", ContentFile(checked.content), save=False)
    resource.format = checked.format
    resource.mimetype = checked.mimetype
    resource.size = checked.size
    resource.hash = checked.sha256
    resource.source_encoding = checked.source_encoding
    resource.row_count = checked.row_count


@transaction.atomic
def resource_create(*, actor, dataset: Dataset, name: str, upload: bytes | None = None,
                    filename: str = "", url: str = "", format: str = "",
                    description: str = "", name_en: str = "") -> Resource:
    """Add a file (`upload` with its `filename`) or a link (`url`) to a dataset. An upload is
    checked (`uploads.check_upload`) before anything is stored."""
    dataset = Dataset.objects.select_for_update().select_related("organization").get(
        pk=dataset.pk)
    if actor is not None and not may_edit_dataset(actor, dataset):
        raise PermissionDeniedError()
    if dataset.live_key:
        raise ValidationFailed(_("The files of a live dataset are made by the platform."))
    if not str(name or "").strip():
        raise ValidationFailed(_("A resource needs a name."), field="name")
    if (upload is None) == (not url):
        raise ValidationFailed(_("Give either a file or an address, not both."), field="file")
    position = dataset.resources.exclude(state=Dataset.State.DELETED).count()
    resource = Resource(dataset=dataset, name=name.strip(), name_en=name_en,
                        description=description, position=position)
    if upload is not None:
        checked = check_upload(upload, filename=filename, declared_format=format)
        resource.kind = Resource.Kind.UPLOAD
        _store(resource, checked, f"{dataset.name}-{position + 1}")
    else:
        if not re.match(r"^https?://", url):
            raise ValidationFailed(_("The address must start with http:// or https://."),
                                   field="url")
        resource.kind = Resource.Kind.LINK
        resource.url = url
        resource.format = (format or "").upper()[:20]
        resource.mimetype = FORMATS.get(resource.format, ("", ""))[0]
    resource.save()
    _touch(dataset)
    audit_record(actor=actor, action="opendata.resource_create", target=resource,
                 details={"dataset": dataset.name, "format": resource.format,
                          "size": resource.size})
    return resource


@transaction.atomic
def resource_update(*, actor, resource: Resource, upload: bytes | None = None,
                    filename: str = "", **values) -> Resource:
    """Change a resource's name or description, or replace its file with a new upload."""
    resource = Resource.objects.select_for_update().select_related(
        "dataset__organization").get(pk=resource.pk)
    if actor is not None and not may_edit_dataset(actor, resource.dataset):
        raise PermissionDeniedError()
    if resource.kind == Resource.Kind.LIVE:
        raise ValidationFailed(_("The files of a live dataset are made by the platform."))
    allowed = {"name", "name_en", "description", "url"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(_("Unknown field “%(field)s”.") % {"field": sorted(unknown)[0]})
    if "name" in values and not str(values["name"] or "").strip():
        raise ValidationFailed(_("A resource needs a name."), field="name")
    if "url" in values and resource.kind != Resource.Kind.LINK:
        raise ValidationFailed(_("Only a link has an address to change."), field="url")
    for key, value in values.items():
        setattr(resource, key, value)
    if upload is not None:
        if resource.kind != Resource.Kind.UPLOAD:
            raise ValidationFailed(_("Only an uploaded file can be replaced."), field="file")
        checked = check_upload(upload, filename=filename, declared_format=resource.format)
        old_name = resource.file.name
        _store(resource, checked, f"{resource.dataset.name}-{resource.position + 1}")
        if old_name and old_name != resource.file.name:
            storage = resource.file.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    resource.last_modified = timezone.now()
    resource.save()
    _touch(resource.dataset, resource.last_modified)
    audit_record(actor=actor, action="opendata.resource_update", target=resource,
                 details={"fields": sorted(values), "file": upload is not None})
    return resource


@transaction.atomic
def resource_delete(*, actor, resource: Resource) -> None:
    if actor is not None and not may_edit_dataset(actor, resource.dataset):
        raise PermissionDeniedError()
    if resource.kind == Resource.Kind.LIVE:
        raise ValidationFailed(_("The files of a live dataset are made by the platform."))
    Resource.objects.filter(pk=resource.pk).update(state=Dataset.State.DELETED)
    _touch(resource.dataset)
    audit_record(actor=actor, action="opendata.resource_delete", target=resource)


# -- API tokens -----------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, actor, name: str) -> tuple[ApiToken, str]:
    """Issue a token for `actor` (staff who may publish). Returns the row and the token, which
    is shown once and never stored."""
    from .permissions import organizations_editable_by

    if not organizations_editable_by(actor).exists():
        raise PermissionDeniedError()
    if not str(name or "").strip():
        raise ValidationFailed(_("Give the token a name (what it is for)."), field="name")
    token = "chod_" + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=actor, name=name.strip()[:100],
                                  token_prefix=token[:12], token_hash=_token_hash(token))
    audit_record(actor=actor, action="opendata.token_issue", target=row)
    return row, token


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> None:
    if token.user_id != actor.pk and not actor.is_superuser:
        raise NotFoundError()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    audit_record(actor=actor, action="opendata.token_revoke", target=token)


def api_token_user(token: str):
    """The active staff member a token belongs to, or None."""
    if not token:
        return None
    row = (ApiToken.objects.select_related("user")
           .filter(token_hash=_token_hash(token.strip()), revoked_at__isnull=True).first())
    if row is None or not row.user.is_active:
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row.user
