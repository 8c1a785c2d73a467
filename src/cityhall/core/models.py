"""The municipality itself: its offices, towns, facilities, people and the audit log.

Every other app builds on these records (DESIGN.md, layer 1). Serves 取組1 (行政手続のオンライン化)
through the resident account and 取組35–39 (情報セキュリティ) through the audit log and staff
access rules.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    """Accounts are identified by email address: residents sign in with it, and so do staff."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    is_demo = models.BooleanField(
        _("demo record"), default=False, help_text=_("Invented for the demo; not a real person.")
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.email


class Municipality(models.Model):
    code = models.CharField(
        _("local government code"), max_length=6, unique=True,
        help_text=_("全国地方公共団体コード, six digits with the check digit (e.g. 131032)."),
    )
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    prefecture = models.CharField(_("prefecture"), max_length=20)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self):
        return self.name


class BranchOffice(models.Model):  # 総合支所 (and the main city hall, 本庁舎)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="branch_offices")
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    is_main_office = models.BooleanField(_("main city hall"), default=False)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("branch office")
        verbose_name_plural = _("branch offices")

    def __str__(self):
        return self.name


class Department(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="departments")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    branch_office = models.ForeignKey(
        BranchOffice, on_delete=models.PROTECT, null=True, blank=True, related_name="departments",
        verbose_name=_("branch office"),
        help_text=_("Empty for a department of the main city hall."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class Town(models.Model):  # 町名・丁目
    """One 町 or 丁目 of the municipality and the branch office that serves it.

    Addresses route work: a resident's town decides which branch office's staff may read the
    resident's records and which counter handles the resident's procedures.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="towns")
    name = models.CharField(_("town"), max_length=50)
    name_kana = models.CharField(_("town (kana)"), max_length=80)
    name_en = models.CharField(_("town (romanised)"), max_length=80)
    chome = models.PositiveSmallIntegerField(_("chōme"), null=True, blank=True)
    branch_office = models.ForeignKey(BranchOffice, on_delete=models.PROTECT, related_name="towns",
                                      verbose_name=_("branch office"))

    class Meta:
        ordering = ["name_kana", "chome"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name", "chome"],
                                    name="core_town_unique_name_chome"),
            models.UniqueConstraint(fields=["municipality", "name"],
                                    condition=models.Q(chome__isnull=True),
                                    name="core_town_unique_name_without_chome"),
        ]
        verbose_name = _("town")
        verbose_name_plural = _("towns")

    @property
    def label(self) -> str:
        return f"{self.name}{self.chome}丁目" if self.chome else self.name

    def __str__(self):
        return self.label


class BaseStationOffer(models.TextChoices):  # 5G基地局設置への開放 (取組30)
    UNKNOWN = "unknown", _("Not decided")
    OFFERED = "offered", _("Offered to carriers")
    NOT_OFFERED = "not_offered", _("Not offered")


class Facility(models.Model):
    BaseStationOffer = BaseStationOffer

    class Kind(models.TextChoices):
        CITY_HALL = "city_hall", _("City hall")
        BRANCH_OFFICE = "branch_office", _("Branch office")
        SHELTER = "shelter", _("Designated shelter")
        EVACUATION_SITE = "evacuation_site", _("Emergency evacuation site")
        COMMUNITY = "community", _("Community centre")
        LIBRARY = "library", _("Library")
        SPORTS = "sports", _("Sports facility")
        CHILDCARE = "childcare", _("Childcare facility")
        OTHER = "other", _("Other facility")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT,
                                     related_name="facilities")
    code = models.CharField(
        _("code"), max_length=40, unique=True,
        help_text=_("A stable identifier, e.g. the national 共通ID of a shelter."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=200)
    town = models.ForeignKey(Town, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="facilities", verbose_name=_("town"))
    branch_office = models.ForeignKey(BranchOffice, on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="facilities",
                                      verbose_name=_("branch office"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    opening_hours = models.CharField(
        _("opening hours"), max_length=200, blank=True,
        help_text=_("OpenStreetMap opening_hours syntax, e.g. 'Mo-Fr 08:30-17:15'."),
    )
    accessibility = models.JSONField(
        _("accessibility features"), default=list, blank=True,
        help_text=_("Codes from Facility.ACCESSIBILITY_FEATURES."),
    )
    hazards = models.JSONField(
        _("hazards designated for"), default=list, blank=True,
        help_text=_("For evacuation sites: the hazards the site is designated for."),
    )
    attributes = models.JSONField(_("source attributes"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False)
    # 取組30 (5G基地局設置への公共施設の開放): whether the ward offers the facility to mobile
    # carriers for base stations, kept by staff and published in the open data catalogue.
    base_station_offer = models.CharField(
        _("offered for 5G base stations"), max_length=20, choices=BaseStationOffer.choices,
        default=BaseStationOffer.UNKNOWN)
    base_station_places = models.CharField(
        _("where a base station may go"), max_length=200, blank=True,
        help_text=_("e.g. roof; outer wall; pole. Separate several with “;”."))
    base_station_conditions = models.TextField(
        _("conditions for carriers"), max_length=1000, blank=True)
    # Moves on every save: what the open data catalogue's live datasets watch.
    updated_at = models.DateTimeField(_("last changed"), auto_now=True, db_index=True)

    ACCESSIBILITY_FEATURES = {
        "step_free": _("Step-free entrance"),
        "accessible_toilet": _("Accessible toilet"),
        "elevator": _("Elevator"),
        "hearing_loop": _("Hearing loop"),
        "braille": _("Braille signage"),
        "welfare_shelter": _("Welfare shelter (for people who need support)"),
    }

    class Meta:
        ordering = ["kind", "name_kana", "name"]
        indexes = [models.Index(fields=["kind", "branch_office"])]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")

    def __str__(self):
        return self.name


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="staff_profile")
    display_name = models.CharField(_("name"), max_length=100)
    branch_office = models.ForeignKey(BranchOffice, on_delete=models.PROTECT,
                                      related_name="staff", verbose_name=_("branch office"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="staff", verbose_name=_("department"))

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        permissions = [
            ("view_residents_all_branches",
             _("Can read residents' records of every branch office")),
        ]

    def __str__(self):
        return self.display_name


class ResidentProfile(models.Model):
    class AccessibilityNeed(models.TextChoices):
        LARGE_TEXT = "large_text", _("Large text")
        SCREEN_READER = "screen_reader", _("Screen reader")
        EASY_JAPANESE = "easy_japanese", _("Easy Japanese (やさしい日本語)")
        SIGN_LANGUAGE = "sign_language", _("Sign language at the counter")
        HIGH_CONTRAST = "high_contrast", _("High contrast")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="resident_profile")
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=80)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=80)
    date_of_birth = models.DateField(_("date of birth"))
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="residents",
                             verbose_name=_("town"))
    block_number = models.CharField(
        _("block and building number"), max_length=60,
        help_text=_("番地 and, if any, building and room, e.g. 5-25 or 1-2-3 港ハイツ101."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10,
                                          choices=settings.LANGUAGES, default="ja")
    accessibility_needs = models.JSONField(_("accessibility needs"), default=list, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident profile")
        verbose_name_plural = _("resident profiles")

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    @property
    def branch_office_id(self):
        return self.town.branch_office_id

    def __str__(self):
        return f"{self.full_name} (#{self.pk})"


class Consent(models.Model):
    """One purpose a resident agreed to, with when; withdrawing keeps the row as history."""

    class Purpose(models.TextChoices):
        EMAIL_NOTICES = "email_notices", _("Receive notices from the city by email")
        SHARE_ACROSS_SERVICES = "share_across_services", _(
            "Let city services reuse what I entered once (once-only)")
        SURVEYS = "surveys", _("Be asked to take part in surveys")

    resident = models.ForeignKey(ResidentProfile, on_delete=models.CASCADE,
                                 related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=40, choices=Purpose.choices)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["purpose", "-granted_at"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "purpose"],
                                    condition=models.Q(withdrawn_at__isnull=True),
                                    name="core_consent_one_active_per_purpose"),
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self):
        return self.get_purpose_display()


class AuditEventQuerySet(models.QuerySet):
    """The audit log is append-only: bulk changes are refused at the ORM level too."""

    def update(self, **kwargs):
        raise PermissionError("Audit events cannot be changed")

    def delete(self):
        raise PermissionError("Audit events cannot be deleted")


class AuditEvent(models.Model):
    """One thing someone did or read, hash-chained to the event before it.

    `entry_hash` covers every field and the previous event's hash, so changing or deleting a
    row breaks the chain at that row; `manage.py audit_verify` finds the first broken link.
    Only `core.audit.audit_record` writes events.
    """

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    occurred_at = models.DateTimeField(_("time"), editable=False)
    # DO_NOTHING without a database constraint: deleting an account must not rewrite the
    # events it left (actor_label keeps who it was).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True,
                              blank=True, related_name="+", db_constraint=False,
                              verbose_name=_("actor"))
    actor_label = models.CharField(_("actor (as recorded)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60, blank=True, db_index=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["target_type", "target_id", "occurred_at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ("view",)

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted")

    def __str__(self):
        return f"#{self.sequence} {self.action}"


class AuditChainHead(models.Model):
    """A single row locked by each writer, so that events are chained one after another
    even when several web nodes write at once."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")
        default_permissions = ()

    def __str__(self):
        return f"#{self.sequence}"


class WorkerHeartbeat(models.Model):
    """A background worker's sign of life; a worker silent for too long is presumed dead and
    the tasks it held are handed back to the queue."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        default_permissions = ("view",)

    def __str__(self):
        return self.worker_id


class TaskFailure(models.Model):
    """A background task that failed on its last allowed attempt, kept for staff to see and
    retry."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_path = models.CharField(_("task"), max_length=200)
    arguments = models.JSONField(_("arguments"), default=dict)
    attempts = models.PositiveSmallIntegerField(_("attempts"))
    error_class = models.CharField(_("error"), max_length=200)
    error_message = models.TextField(_("message"), blank=True)
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("failed background task")
        verbose_name_plural = _("failed background tasks")
        permissions = [("retry_taskfailure", _("Can retry a failed background task"))]

    def __str__(self):
        return self.task_path


class PeriodicTaskRun(models.Model):
    """When a periodic task (`core.periodic`) was last enqueued. Workers on any number of
    machines claim a due run with one conditional UPDATE, so each period runs once."""

    name = models.CharField(max_length=200, primary_key=True)
    last_enqueued_at = models.DateTimeField()

    class Meta:
        verbose_name = _("periodic task")
        verbose_name_plural = _("periodic tasks")
        default_permissions = ("view",)

    def __str__(self):
        return self.name


class YearCounter(models.Model):
    """The last number given out in a year by one numbering sequence (e.g. application
    references, payment receipts). The row is locked while a number is taken, so numbers are
    unique and gap-free across web nodes; `core.services.sequence_next` is the only writer."""

    sequence = models.CharField(max_length=50)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("numbering sequence")
        verbose_name_plural = _("numbering sequences")
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["sequence", "year"],
                                               name="core_yearcounter_one_per_year")]

    def __str__(self):
        return f"{self.sequence} {self.year}: {self.last}"
