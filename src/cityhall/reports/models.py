"""Street-problem reports (取組13 道路等の損傷通報) and the categories they are filed under.

A `Report` is one problem at one place, from the web portal, from staff taking a phone call,
or from an Open311 GeoReport v2 client: they are the same objects. Its category decides the
department that fixes it; the town the place lies in decides the branch office (総合支所)
whose queue it appears in. Residents' contact details live on the report but are never
public: the public sees `public_description` and moderated photos only.

Every change of a report is made by `cityhall.reports.services`, which writes a
`ReportUpdate` row (the report's history, public or internal) and the audit event in the
same transaction.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityhall.core.models import BranchOffice, Department, Town

__all__ = [
    "BranchRouting",
    "Open311Client",
    "Report",
    "ReportFollower",
    "ReportPhoto",
    "ReportUpdate",
    "ServiceAttribute",
    "ServiceCategory",
]


class ServiceCategory(models.Model):
    """A kind of problem residents can report (Open311: a *service*)."""

    class Open311Type(models.TextChoices):
        # GeoReport v2 `type`: realtime answers a POST with the request id at once; batch
        # answers with a token that later resolves to the id (tokens/{token}).
        REALTIME = "realtime", _("Realtime")
        BATCH = "batch", _("Batch")
        BLACKBOX = "blackbox", _("Blackbox")

    code = models.SlugField(
        _("service code"), max_length=40, unique=True,
        help_text=_("The Open311 service_code; never change it once clients use it."))
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    group = models.CharField(_("group"), max_length=60, blank=True,
                             help_text=_("Groups categories on the form, e.g. Roads, Parks."))
    group_en = models.CharField(_("group (English)"), max_length=60, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True,
                                help_text=_("Comma-separated words that help finding it."))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="report_categories",
        verbose_name=_("department"), help_text=_("The department that fixes these problems."))
    open311_type = models.CharField(_("Open311 type"), max_length=10,
                                    choices=Open311Type.choices, default=Open311Type.REALTIME)
    acknowledge_within_hours = models.PositiveSmallIntegerField(
        _("acknowledge within (hours)"), default=48,
        help_text=_("Service level: time from the report to its acknowledgement."))
    fix_within_days = models.PositiveSmallIntegerField(
        _("fix within (days)"), default=14,
        help_text=_("Service level: time from the report to the problem being fixed."))
    is_active = models.BooleanField(_("open for new reports"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")

    def __str__(self):
        return self.name

    def name_in(self, language: str) -> str:
        return self.name if language.startswith("ja") or not self.name_en else self.name_en

    def description_in(self, language: str) -> str:
        if language.startswith("ja") or not self.description_en:
            return self.description
        return self.description_en


class BranchRouting(models.Model):
    """Where a category's reports go in one branch office's area, when not to the category's
    own department: e.g. potholes in Azabu go to 麻布地区総合支所 まちづくり課."""

    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE,
                                 related_name="branch_routings", verbose_name=_("category"))
    branch_office = models.ForeignKey(BranchOffice, on_delete=models.CASCADE, related_name="+",
                                      verbose_name=_("branch office"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "branch_office"],
                                    name="reports_branchrouting_unique"),
        ]
        verbose_name = _("routing by branch office")
        verbose_name_plural = _("routings by branch office")

    def __str__(self):
        return f"{self.category.code} @ {self.branch_office.code} -> {self.department.code}"


class ServiceAttribute(models.Model):
    """An extra question a category asks (Open311 service definition `attributes`)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLE = "singlevaluelist", _("One of a list")
        MULTI = "multivaluelist", _("Several of a list")

    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE,
                                 related_name="attributes", verbose_name=_("category"))
    code = models.SlugField(_("code"), max_length=40)
    datatype = models.CharField(_("type"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    description = models.CharField(_("question"), max_length=200)
    description_en = models.CharField(_("question (English)"), max_length=200, blank=True)
    datatype_description = models.CharField(_("hint"), max_length=200, blank=True)
    # [{"key": "...", "name": "...", "name_en": "..."}] for the list types.
    values = models.JSONField(_("choices"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"],
                                    name="reports_serviceattribute_unique_code"),
        ]
        verbose_name = _("category question")
        verbose_name_plural = _("category questions")

    def __str__(self):
        return f"{self.category.code}/{self.code}"


class Open311Client(models.Model):
    """An outside system allowed to file reports through Open311 (it holds an api_key).

    Only a hash of the key is stored; staff see the key once, when it is issued."""

    name = models.CharField(_("name"), max_length=100)
    contact_email = models.EmailField(_("contact email"), blank=True)
    key_prefix = models.CharField(_("key prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("issued by"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self):
        return self.name


def new_follow_token() -> str:
    return secrets.token_urlsafe(24)


def new_open311_token() -> str:
    return secrets.token_hex(16)


class Report(models.Model):
    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("report status", "New")  # 受付
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("report status", "Acknowledged")  # 確認済
        IN_PROGRESS = "in_progress", pgettext_lazy("report status", "In progress")  # 対応中
        FIXED = "fixed", pgettext_lazy("report status", "Fixed")  # 対応完了
        # 区の管理外 (a national road, a private lot, the metropolitan government's park)
        NOT_RESPONSIBLE = "not_responsible", pgettext_lazy(
            "report status", "Not the city's responsibility")
        DUPLICATE = "duplicate", pgettext_lazy("report status", "Duplicate")  # 重複

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.FIXED, Status.NOT_RESPONSIBLE, Status.DUPLICATE)

    class Source(models.TextChoices):
        WEB = "web", _("Web portal")
        OPEN311 = "open311", _("Open311 client")
        STAFF = "staff", _("Staff (phone or counter)")

    class TownSource(models.TextChoices):
        # How the town (and so the branch office) was found; staff can correct it.
        ADDRESS = "address", _("From the address")
        NEAREST = "nearest", _("Nearest known place")
        STAFF = "staff", _("Set by staff")
        NONE = "", _("Unknown")

    reference = models.CharField(
        _("reference"), max_length=20, unique=True,
        help_text=_("The number residents quote; also the Open311 service_request_id."))
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT,
                                 related_name="reports", verbose_name=_("category"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.NEW, db_index=True)
    description = models.TextField(_("description"), max_length=4000)
    # What the public sees: staff may shorten it or remove names, plates or phone numbers.
    public_description = models.TextField(_("public description"), max_length=4000, blank=True)
    is_public = models.BooleanField(
        _("shown to the public"), default=False,
        help_text=_("Set when staff have checked the description; until then the public "
                    "sees the category, place and status only."))
    attributes = models.JSONField(_("answers to the category's questions"), default=dict,
                                  blank=True)
    # WGS84, 6 decimals (about 10 cm). Both empty when the reporter gave an address only.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6,
                                   null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6,
                                    null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    town = models.ForeignKey(Town, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="reports", verbose_name=_("town"))
    town_source = models.CharField(_("town found by"), max_length=10,
                                   choices=TownSource.choices, blank=True)
    branch_office = models.ForeignKey(
        BranchOffice, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports",
        verbose_name=_("branch office"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="reports",
                                   verbose_name=_("department"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="assigned_reports",
                                    verbose_name=_("assigned to"))
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="duplicates", verbose_name=_("duplicate of"))
    # Who reported. Never shown in public pages or API answers.
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="street_reports",
                                 verbose_name=_("reporter"))
    contact_name = models.CharField(_("name"), max_length=100, blank=True)
    contact_email = models.EmailField(_("email"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, default="ja")
    source = models.CharField(_("received through"), max_length=10, choices=Source.choices,
                              default=Source.WEB)
    open311_client = models.ForeignKey(Open311Client, on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="reports",
                                       verbose_name=_("Open311 client"))
    open311_token = models.CharField(max_length=32, unique=True, default=new_open311_token,
                                     editable=False)
    # Open311 `media_url` given by a client: shown to staff, never fetched by the server.
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported at"), db_index=True)
    updated_at = models.DateTimeField(_("last changed"), db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    expected_at = models.DateTimeField(_("expected fix"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("street-problem report")
        verbose_name_plural = _("street-problem reports")
        permissions = [
            ("triage_report", _("Can acknowledge, assign and update street-problem reports")),
            ("view_all_reports", _("Can see the reports of every department and branch")),
            ("manage_open311_clients", _("Can issue and revoke Open311 API keys")),
            ("moderate_report", _("Can publish report descriptions and photos")),
        ]
        indexes = [
            # The nearby-duplicate search: open reports of one category in a small box.
            models.Index(fields=["category", "status", "latitude", "longitude"],
                         name="reports_nearby_idx"),
            models.Index(fields=["department", "branch_office", "status"],
                         name="reports_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True, longitude__isnull=True)
                           | Q(latitude__isnull=False, longitude__isnull=False)),
                name="reports_report_lat_long_together"),
            models.CheckConstraint(
                condition=~Q(latitude__isnull=True, address=""),
                name="reports_report_has_a_place"),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | Q(status="duplicate"),
                name="reports_report_duplicate_of_only_when_duplicate"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


def _photo_storage():
    # Private like application attachments: outside MEDIA_ROOT, so that a web server serving
    # /media/ can never hand out a photo before staff have checked it. The public sees photos
    # only through the reports views, which check `is_public`.
    from django.core.files.storage import storages

    return storages["attachments"]


class ReportPhoto(models.Model):
    """A photo of the problem, re-encoded on the server (EXIF and any payload dropped)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos",
                               verbose_name=_("report"))
    image = models.FileField(_("image"), upload_to="reports/%Y/%m/", storage=_photo_storage)
    content_type = models.CharField(max_length=30, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(
        _("shown to the public"), default=False,
        help_text=_("Staff check each photo for faces, number plates and the like first."))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["report", "uploaded_at", "pk"]
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")

    def __str__(self):
        return f"{self.report.reference} photo {self.pk}"


class ReportUpdate(models.Model):
    """One step in a report's history: a status change, a public reply, an internal note,
    an assignment, a hand-off to another department, a merge or a moderation."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Reported")
        STATUS = "status", _("Status changed")
        NOTE = "note", _("Note")
        ASSIGNED = "assigned", _("Assigned")
        HANDED_OFF = "handed_off", _("Handed to another department")
        MERGED = "merged", _("Merged as a duplicate")
        MODERATED = "moderated", _("Checked for publication")
        ADDED_BY_RESIDENT = "added", _("More information from a resident")
        ROUTED = "routed", _("Place or branch office corrected")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates",
                               verbose_name=_("report"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status_before = models.CharField(_("status before"), max_length=20, blank=True)
    status_after = models.CharField(_("status after"), max_length=20, blank=True)
    public_note = models.TextField(_("reply to the public"), max_length=2000, blank=True)
    internal_note = models.TextField(_("internal note"), max_length=2000, blank=True)
    details = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), db_index=True)
    # Set once followers have been told of this update (so a re-run never tells them twice).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["report", "created_at", "pk"]
        verbose_name = _("report update")
        verbose_name_plural = _("report updates")

    def __str__(self):
        return f"{self.report.reference} {self.kind}"

    @property
    def is_public(self) -> bool:
        # What the public history shows: status changes and public replies; never internal
        # notes, assignments or who moderated what.
        return bool(self.public_note) or self.kind in (self.Kind.CREATED, self.Kind.STATUS,
                                                       self.Kind.MERGED)


class ReportFollower(models.Model):
    """Someone to tell when a report changes: a signed-in resident, or an email address
    (the reporter without an account). The token lets them stop from the email."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers",
                               verbose_name=_("report"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="followed_reports",
                             verbose_name=_("user"))
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="ja")
    token = models.CharField(max_length=40, unique=True, default=new_follow_token,
                             editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report follower")
        verbose_name_plural = _("report followers")
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(email=""),
                                   name="reports_follower_user_or_email"),
            models.UniqueConstraint(fields=["report", "user"], condition=Q(user__isnull=False),
                                    name="reports_follower_unique_user"),
            models.UniqueConstraint(fields=["report", "email"], condition=~Q(email=""),
                                    name="reports_follower_unique_email"),
        ]

    def __str__(self):
        return f"{self.report.reference} follower {self.pk}"
