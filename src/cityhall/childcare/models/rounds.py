"""One admission round (募集回) of nursery admission (取組7): its seats, its households and
applications (personal data of children: read through `permissions.access_application`), and
the results of the matching runs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..matching.model import AGE_CLASSES, SiblingRule
from .config import Nursery, PointsItem, PointsTable


def _age_class_label(age: int) -> str:
    return gettext("%(age)d-year-old class") % {"age": age}


# Lazy, so that the label follows the language of the request (and migrations stay stable).
AGE_CLASS_CHOICES = [(age, lazy(_age_class_label, str)(age)) for age in AGE_CLASSES]


class AdmissionRound(models.Model):  # 募集回 (e.g. 2027年4月入所 一次)
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IMPORTED = "imported", _("Applications imported")
        MATCHED = "matched", _("Matched")
        CONFIRMED = "confirmed", _("Confirmed")
        PUBLISHED = "published", _("Results sent")

    name = models.CharField(_("name"), max_length=100)
    admission_date = models.DateField(
        _("admission date"), help_text=_("The first day of a month (1 April for the spring "
                                         "rounds)."))
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.DRAFT)
    points_table = models.ForeignKey(PointsTable, on_delete=models.PROTECT,
                                     related_name="rounds", verbose_name=_("points table"))
    lottery_seed = models.PositiveIntegerField(
        _("lottery seed"), default=0,
        help_text=_("Decides, reproducibly, between children the tie-break rules leave "
                    "equal."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(_("demo record"), default=False)
    # -- Online applications (取組7): the window in which residents apply online. Both empty:
    # the round takes no online applications (paper forms imported by staff only).
    applications_open_from = models.DateTimeField(
        _("online applications open from"), null=True, blank=True)
    applications_close_at = models.DateTimeField(
        _("online applications close at"), null=True, blank=True,
        help_text=_("Residents can apply, change and withdraw online until this moment; the "
                    "matching cannot be run before it."))
    # -- Publication of the result and the result letters (services/publication.py) --
    published_at = models.DateTimeField(_("result published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    letter_contact = models.TextField(  # 問い合わせ先 printed on the result letters
        _("contact on the result letters"), blank=True,
        help_text=_("The office, address and phone number printed as the contact on the "
                    "result letters. Empty: the childcare division and the main city hall."))

    class Meta:
        ordering = ["-admission_date", "name"]
        permissions = [
            ("import_round", _("Can import the capacities and applications of a round")),
            ("run_matching", _("Can run the matching of a round and store its result")),
        ]
        verbose_name = _("admission round")
        verbose_name_plural = _("admission rounds")

    def __str__(self):
        return self.name

    def takes_online_applications(self, now=None) -> bool:
        """True while residents may apply, change or withdraw online: inside the window and
        before the round is matched."""
        if self.applications_open_from is None or self.applications_close_at is None:
            return False
        now = now or timezone.now()
        return (self.state in (self.State.DRAFT, self.State.IMPORTED)
                and self.applications_open_from <= now < self.applications_close_at)


class RoundCapacity(models.Model):  # 募集人数 per nursery and age class
    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="capacities")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, related_name="+")
    age_class = models.PositiveSmallIntegerField(_("age class"), choices=AGE_CLASS_CHOICES)
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        ordering = ["round", "nursery", "age_class"]
        constraints = [models.UniqueConstraint(fields=["round", "nursery", "age_class"],
                                               name="childcare_capacity_unique")]

    def __str__(self):
        return f"{self.nursery_id}:{self.age_class}={self.seats}"


class RoundSeatPool(models.Model):
    """Seats of one nursery shared by several age classes (e.g. 3–5歳児 together: 10)."""

    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="seat_pools")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, related_name="+")
    age_classes = models.JSONField(_("age classes"))  # sorted list of ints
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        ordering = ["round", "nursery", "pk"]

    def __str__(self):
        return f"{self.nursery_id}:{self.age_classes}={self.seats}"


class OnlineStatus(models.TextChoices):
    """Where a resident's online application stands. Imported households have none."""

    DRAFT = "draft", _("Draft (not sent)")
    SUBMITTED = "submitted", _("Sent, waiting for the city's check")
    VERIFIED = "verified", _("Documents checked (書類確認済)")
    RETURNED = "returned", _("Returned for correction")


# The households (and so applications) that take part in the matching: those staff imported
# (no online status) and the online ones staff verified. Filter with
# `household__online_status__in=SELECTED_STATUSES` (applications) or
# `online_status__in=SELECTED_STATUSES` (households).
SELECTED_STATUSES = ("", OnlineStatus.VERIFIED.value)


class Household(models.Model):  # 世帯 (of one round)
    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="households")
    family_code = models.CharField(_("household number"), max_length=30)  # 世帯番号
    sibling_rule = models.CharField(_("sibling rule"), max_length=30,
                                    choices=[(rule.value, rule.value) for rule in SiblingRule],
                                    default=SiblingRule.INDEPENDENT.value)
    resident_tax = models.PositiveBigIntegerField(
        _("resident tax, income levy (yen)"), null=True, blank=True)  # 住民税所得割額
    single_parent = models.BooleanField(_("single parent"), default=False)  # ひとり親
    public_assistance = models.BooleanField(_("public assistance"), default=False)  # 生活保護
    disability = models.BooleanField(_("disability in the household"), default=False)
    sibling_enrolled = models.BooleanField(_("a sibling attends a nursery"), default=False)
    # The branch office of the household's address: what scopes staff who are not 保育課.
    branch_office = models.ForeignKey("core.BranchOffice", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    is_demo = models.BooleanField(_("demo record"), default=False)
    # -- Online applications (取組7): a household a resident entered online; empty for the
    # households staff import. Only imported and verified households take part in the
    # matching (`IN_SELECTION`).
    resident = models.ForeignKey("core.ResidentProfile", on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    online_status = models.CharField(_("online status"), max_length=20, blank=True,
                                     choices=OnlineStatus.choices, default="")
    # What the family claims (codes of the points table): {"parent1": code, "parent2": code
    # or "", "adjustments": [codes]}; copied to every child's ApplicationPoints.
    online_claims = models.JSONField(_("claims"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    return_reason = models.TextField(_("reason for returning"), blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    # The close of the window the resident was reminded of while the application was unsent
    # (a later close, if staff extend the window, is reminded again).
    unsent_reminded_for = models.DateTimeField(_("reminded to send before"), null=True,
                                               blank=True)

    class Meta:
        ordering = ["round", "family_code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "family_code"],
                                    name="childcare_household_unique"),
            # One online application (household) per resident and round.
            models.UniqueConstraint(fields=["round", "resident"],
                                    condition=models.Q(resident__isnull=False),
                                    name="childcare_household_one_online_per_resident"),
        ]
        permissions = [
            ("verify_online_application",
             _("Can verify online nursery applications or return them to the resident")),
        ]

    @property
    def is_online(self) -> bool:
        return bool(self.online_status)

    def __str__(self):
        return self.family_code


class Application(models.Model):  # 申込 (one child)
    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE,
                              related_name="applications")
    household = models.ForeignKey(Household, on_delete=models.CASCADE,
                                  related_name="applications")
    number = models.CharField(_("application number"), max_length=30)  # 申込番号
    child_name = models.CharField(_("child's name"), max_length=100)
    child_name_kana = models.CharField(_("child's name (kana)"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    age_class = models.PositiveSmallIntegerField(_("age class"), choices=AGE_CLASS_CHOICES)
    # 転園: the nursery the child attends now.
    current_nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+")
    # 指数 = 基準指数 (both parents) + 調整指数, computed at import; the breakdown explains it.
    score = models.SmallIntegerField(_("score"), default=0)
    basic_points = models.SmallIntegerField(_("basic points"), default=0)
    adjustment_points = models.SmallIntegerField(_("adjustment points"), default=0)
    score_breakdown = models.JSONField(_("score breakdown"), default=list, blank=True)
    # A resident who applied online (its household has an `online_status`); imports leave
    # it empty.
    resident = models.ForeignKey("core.ResidentProfile", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"],
                                    name="childcare_application_unique"),
            # Online: one application per child (name and date of birth) and round.
            models.UniqueConstraint(fields=["round", "resident", "child_name", "date_of_birth"],
                                    condition=models.Q(resident__isnull=False),
                                    name="childcare_application_one_per_child"),
        ]
        permissions = [
            ("view_all_applications", _("Can read the applications of every branch office")),
        ]
        verbose_name = _("nursery application")
        verbose_name_plural = _("nursery applications")

    def __str__(self):
        return self.number

    def wish_codes(self) -> tuple[str, ...]:
        return tuple(wish.nursery.code for wish in self.wishes.all())


class ApplicationWish(models.Model):  # 希望 (rank 1 = first choice)
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="wishes")
    rank = models.PositiveSmallIntegerField(_("rank"))
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"],
                                    name="childcare_wish_rank_unique"),
            models.UniqueConstraint(fields=["application", "nursery"],
                                    name="childcare_wish_nursery_unique"),
        ]

    def __str__(self):
        return f"{self.application_id}#{self.rank}"


class ApplicationPoints(models.Model):
    """A points item chosen for an application: a parent's situation (parent 1 or 2), an
    adjustment (parent empty), or an adjustment at one nursery (`nursery` set: the item is
    of kind `facility` and counts only at that nursery, not in the application's score)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="points")
    parent = models.PositiveSmallIntegerField(_("parent"), null=True, blank=True)
    item = models.ForeignKey(PointsItem, on_delete=models.PROTECT, related_name="+")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("nursery"))

    class Meta:
        ordering = ["application", "parent", "pk"]

    def __str__(self):
        return f"{self.application_id}:{self.item_id}"


class MatchingRun(models.Model):
    """One matching run of a round: asked for by staff, solved by a background worker, and
    then one stored result of the engine (a re-run adds another).

    `state` follows the job: queued → running → done, or failed (with `error_code`, shown to
    staff in their language). At most one run of a round is queued or running at a time (a
    constraint of the database). `status` and `solver` are the engine's, once done."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):  # what a running run is doing, for the progress note
        WAITING = "", _("Waiting")
        READING = "reading", _("Reading the applications")
        SOLVING = "solving", _("Solving")
        STORING = "storing", _("Storing the result")

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    round = models.ForeignKey(AdmissionRound, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.QUEUED)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, blank=True,
                             default=Phase.WAITING)
    solver = models.CharField(_("solver"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=20, blank=True)
    seconds = models.FloatField(_("seconds"), default=0)
    placed = models.PositiveIntegerField(_("children placed"), default=0)
    blocking_coalitions = models.JSONField(_("blocking coalitions"), default=list, blank=True)
    # When the result was stored (when the run was asked for, until then).
    run_at = models.DateTimeField(_("run at"))
    # The staff member who asked for the run.
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    time_limit = models.FloatField(_("time limit (seconds)"), default=0)
    # Times a worker took the run (more than one: a worker died and another took over).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The attempt that holds the run: a result is stored only by the holder.
    claim = models.CharField(max_length=40, blank=True, editable=False)
    error_code = models.CharField(_("error"), max_length=40, blank=True)

    class Meta:
        ordering = ["round", "-run_at", "-pk"]
        get_latest_by = ["run_at", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["round"], condition=models.Q(state__in=["queued", "running"]),
            name="childcare_one_active_run_per_round")]

    def __str__(self):
        return f"{self.solver or self.state} {self.run_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    def error_text(self) -> str:
        """The reason of a failed run, in the language of the request."""
        return str(RUN_ERRORS.get(self.error_code, RUN_ERRORS["internal"]))


# Why a run failed, by `MatchingRun.error_code`: stored as a code, shown in the reader's language.
RUN_ERRORS = {
    "bad_state": _("The round changed state while the run waited (for example it was "
                   "confirmed): nothing was stored."),
    "no_applications": _("The round had no applications when the run started: nothing was "
                         "stored."),
    "bad_result": _("The applications of the round changed while the run was solving: "
                    "nothing was stored. Please run the matching again."),
    "forbidden": _("The staff member who asked for the run may no longer run the matching: "
                   "nothing was stored."),
    "interrupted": _("The run was interrupted several times (the worker stopped): nothing "
                     "was stored. Please run the matching again, and tell the system "
                     "administrator if it happens again."),
    "internal": _("The run failed because of an error in the system: nothing was stored. "
                  "Please run the matching again, and tell the system administrator if it "
                  "happens again."),
}


class Placement(models.Model):  # 入所内定 (or 不承諾) of one application in one run
    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="placements")
    application = models.ForeignKey(Application, on_delete=models.CASCADE,
                                    related_name="placements")
    nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")  # None: not admitted
    kept_current = models.BooleanField(_("keeps the current nursery"), default=False)
    in_blocking_coalition = models.BooleanField(default=False)
    # A staff override (with its reason) keeps what the engine gave in `original_nursery`.
    original_nursery = models.ForeignKey(Nursery, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+")
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+")
    override_reason = models.TextField(_("reason for the change"), blank=True)
    overridden_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        ordering = ["run", "application"]
        constraints = [models.UniqueConstraint(fields=["run", "application"],
                                               name="childcare_placement_unique")]

    def __str__(self):
        return f"{self.application_id}->{self.nursery_id}"
