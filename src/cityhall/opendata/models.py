"""Data of the open data catalogue (取組27 オープンデータの推進, 取組30, 取組16).

The shape follows CKAN's, so that the CKAN Action API (`ckan/`) and DCAT (`dcat.py`) are
translations of these rows rather than a second model: organizations (the publishing
departments), groups (themes), datasets with tags and a licence, and resources (files or live
endpoints). Live datasets are ordinary datasets whose one resource set is regenerated from the
platform's own data by a provider an app registered (`registry.py`); `live_key` names it.

Nothing here holds personal data: a resource is public once its dataset is public, and private
(draft) datasets are visible only to staff who may edit them.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityhall.core.models import Department

from .licences import DEFAULT_LICENCE, licence_choices

# CKAN's rule for names (package, organization, group): 2-100 characters of lowercase ASCII
# letters, digits, "-" and "_". Harvesters put the name in URLs, so we keep to it exactly.
NAME_PATTERN = r"^[a-z0-9_-]{2,100}$"


def _resource_storage():
    # Files of private datasets must not be reachable by URL, so every resource is served by a
    # view that checks its dataset (the same private storage as residents' attachments).
    return storages["attachments"]


class Organization(models.Model):  # 公開組織 (a department that publishes data)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("name (in URLs)"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    department = models.OneToOneField(
        Department, on_delete=models.PROTECT, null=True, blank=True,
        related_name="opendata_organization", verbose_name=_("department"),
        help_text=_("Staff of this department may publish the organization's datasets."))
    email = models.EmailField(_("contact email"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("publishing organization")
        verbose_name_plural = _("publishing organizations")

    def __str__(self):
        return self.title


class Group(models.Model):  # テーマ (a theme shared across organizations)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("name (in URLs)"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.title


class Tag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # CKAN allows letters of any script, digits, spaces and "-_." (max 100): 防災, 避難所.
    name = models.CharField(_("tag"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class Dataset(models.Model):  # CKAN "package"
    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        DRAFT = "draft", _("Draft")
        DELETED = "deleted", _("Deleted")

    class Frequency(models.TextChoices):
        # Values are the EU/DCAT frequency authority's codes, so DCAT output uses them as is.
        CONTINUOUS = "CONT", _("Continuously (live)")
        DAILY = "DAILY", _("Daily")
        WEEKLY = "WEEKLY", _("Weekly")
        MONTHLY = "MONTHLY", _("Monthly")
        QUARTERLY = "QUARTERLY", _("Quarterly")
        ANNUAL = "ANNUAL", _("Yearly")
        IRREGULAR = "IRREG", _("Irregularly")
        NEVER = "NEVER", _("Not updated")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("name (in URLs)"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    notes = models.TextField(_("description"), blank=True)
    notes_en = models.TextField(_("description (English)"), blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="datasets", verbose_name=_("organization"))
    groups = models.ManyToManyField(Group, blank=True, related_name="datasets",
                                    verbose_name=_("themes"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets",
                                  verbose_name=_("tags"))
    license_id = models.CharField(_("licence"), max_length=40, choices=licence_choices(),
                                  default=DEFAULT_LICENCE)
    update_frequency = models.CharField(_("update frequency"), max_length=10,
                                        choices=Frequency.choices, default=Frequency.IRREGULAR)
    spatial = models.CharField(_("spatial coverage"), max_length=200, blank=True,
                               help_text=_("e.g. 東京都港区"))
    temporal_start = models.DateField(_("covers from"), null=True, blank=True)
    temporal_end = models.DateField(_("covers until"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    url = models.URLField(_("source page"), blank=True, max_length=500)
    version = models.CharField(_("version"), max_length=100, blank=True)
    standard = models.CharField(
        _("standard dataset type"), max_length=100, blank=True,
        help_text=_("The 自治体標準オープンデータセット type this dataset follows, if any."))
    private = models.BooleanField(
        _("private"), default=False,
        help_text=_("Private datasets are seen only by staff who may edit them."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.ACTIVE)
    live_key = models.CharField(
        _("live source"), max_length=100, blank=True, db_index=True,
        help_text=_("Set for datasets that the platform regenerates from its own data."))
    live_version = models.CharField(max_length=200, blank=True, editable=False)
    # Lower-cased, NFKC-normalised title, description, tags and organization: one column to
    # search, kept by the services that change any of them.
    search_text = models.TextField(blank=True, editable=False)
    metadata_created = models.DateTimeField(_("created"), default=timezone.now,
                                            editable=False)
    metadata_modified = models.DateTimeField(_("last modified"), default=timezone.now,
                                             editable=False, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+", editable=False)
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["state", "private", "metadata_modified"]),
                   models.Index(fields=["organization", "state"])]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        permissions = [
            ("publish_any_dataset", _("Can publish datasets of every organization")),
        ]

    def __str__(self):
        return self.title

    @property
    def is_public(self) -> bool:
        return self.state == self.State.ACTIVE and not self.private


class Resource(models.Model):  # a file or a live endpoint of a dataset (CKAN "resource")
    class Kind(models.TextChoices):
        UPLOAD = "upload", _("Uploaded file")
        LINK = "link", _("Link")
        LIVE = "live", _("Live (regenerated from the platform's data)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources",
                                verbose_name=_("dataset"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices,
                            default=Kind.UPLOAD)
    # Upper-case format as CKAN shows it: CSV, JSON, GEOJSON, XLSX, PDF.
    format = models.CharField(_("format"), max_length=20, blank=True)
    mimetype = models.CharField(_("media type"), max_length=100, blank=True)
    file = models.FileField(_("file"), upload_to="opendata/%Y/%m/", storage=_resource_storage,
                            blank=True, max_length=300)
    url = models.URLField(_("address"), blank=True, max_length=1000,
                          help_text=_("For links: where the data is. Files and live "
                                      "resources are served by the catalogue itself."))
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    hash = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # For CSV: the encoding the upload arrived in (stored files are always UTF-8).
    source_encoding = models.CharField(_("encoding of the upload"), max_length=20, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    live_variant = models.CharField(
        max_length=20, blank=True, editable=False,
        help_text="For live resources: which rendering of the provider's rows (csv, geojson).")
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_modified = models.DateTimeField(_("last modified"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=Dataset.State.choices,
                             default=Dataset.State.ACTIVE)

    class Meta:
        ordering = ["dataset", "position", "created"]
        indexes = [models.Index(fields=["dataset", "state", "position"])]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self):
        return self.name


class ApiToken(models.Model):
    """A staff member's token for the CKAN write actions (package_create, ...).

    Only a hash is stored; the token is shown once. A token acts with its owner's permissions
    at the time of each call, so removing a role also removes what the token may do."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="opendata_tokens", verbose_name=_("owner"))
    name = models.CharField(_("name"), max_length=100)
    token_prefix = models.CharField(_("token prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.token_prefix}…)"
