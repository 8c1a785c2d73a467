"""A child's 母子健康手帳 (maternal and child health handbook) records for the immunisation
schedule (取組23 母子手帳アプリ): the child a guardian keeps records for, the doses given and
the next doses booked. The plan itself is computed, never stored: `immunisation.engine`
reads these rows through `services.immunisation.child_record_for_engine`.

Children's data is personal data: a guardian reads their own children; staff read through
`permissions.access_child` (audited, scoped by the branch office of the child's address)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Vaccine(models.TextChoices):
    """Vaccines the engine reads (`immunisation.series.ROUTINE_VACCINES` and the optional
    live ones it must know for the 27-day rule)."""

    HEPB = "hepb", _("Hepatitis B (B型肝炎)")
    ROTA = "rota", _("Rotavirus (ロタウイルス)")
    DPT_IPV_HIB = "dpt_ipv_hib", _("DPT-IPV-Hib, 5-in-1 (5種混合)")
    DPT_IPV = "dpt_ipv", _("DPT-IPV, 4-in-1 (4種混合)")
    HIB = "hib", _("Hib (ヒブ)")
    PCV = "pcv", _("Pneumococcal conjugate (小児肺炎球菌)")
    BCG = "bcg", _("BCG")
    MR = "mr", _("Measles-rubella (MR, 麻しん風しん)")
    VARICELLA = "varicella", _("Varicella (水痘)")
    JE = "je", _("Japanese encephalitis (日本脳炎)")
    DT = "dt", _("DT, 2-in-1 (2種混合)")
    HPV = "hpv", _("HPV (ヒトパピローマウイルス)")
    MUMPS = "mumps", _("Mumps, optional (おたふくかぜ, 任意)")
    INFLUENZA = "influenza", _("Influenza, optional (インフルエンザ, 任意)")


class Product(models.TextChoices):
    """The products whose choice changes the series (number of doses, continuity)."""

    ROTA1 = "rota1", _("Rotarix (1価, 2 doses)")
    ROTA5 = "rota5", _("RotaTeq (5価, 3 doses)")
    PCV13 = "pcv13", _("PCV13")
    PCV15 = "pcv15", _("PCV15")
    PCV20 = "pcv20", _("PCV20")
    HPV2 = "hpv2", _("HPV 2価 (Cervarix)")
    HPV4 = "hpv4", _("HPV 4価 (Gardasil)")
    HPV9 = "hpv9", _("HPV 9価 (Silgard 9)")


# Which products belong to which vaccine (a dose of another vaccine has no product).
VACCINE_PRODUCTS = {
    Vaccine.ROTA: (Product.ROTA1, Product.ROTA5),
    Vaccine.PCV: (Product.PCV13, Product.PCV15, Product.PCV20),
    Vaccine.HPV: (Product.HPV2, Product.HPV4, Product.HPV9),
}


class ChildProfile(models.Model):  # 母子健康手帳の子
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        UNSPECIFIED = "", _("Not given")

    guardian = models.ForeignKey("core.ResidentProfile", on_delete=models.CASCADE,
                                 related_name="children", verbose_name=_("guardian"))
    name = models.CharField(_("child's name"), max_length=100)
    name_kana = models.CharField(_("child's name (kana)"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True,
                           help_text=_("Used only to plan the HPV vaccine."))
    # The branch office of the address (from the guardian's town when the child is added):
    # what scopes staff, and what the coverage figures are grouped by.
    branch_office = models.ForeignKey("core.BranchOffice", on_delete=models.PROTECT,
                                      null=True, blank=True, related_name="+",
                                      verbose_name=_("branch office"))
    reminders = models.BooleanField(
        _("send reminders"), default=True,
        help_text=_("Tell me when a dose becomes due and before the free period ends."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(_("demo record"), default=False)

    class Meta:
        ordering = ["guardian", "date_of_birth", "pk"]
        permissions = [
            ("view_all_children", _("Can read the immunisation records of every branch "
                                    "office")),
            ("view_coverage", _("Can see immunisation coverage figures")),
        ]
        verbose_name = _("child (immunisation record)")
        verbose_name_plural = _("children (immunisation records)")

    def __str__(self):
        return self.name


class DoseRecord(models.Model):  # 予防接種の記録 (one dose)
    class Source(models.TextChoices):
        GUARDIAN = "guardian", _("Entered by the guardian (from the handbook)")
        STAFF = "staff", _("Entered by staff (予防接種台帳)")
        CLINIC = "clinic", _("Reported by the clinic")

    child = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="doses")
    vaccine = models.CharField(_("vaccine"), max_length=20, choices=Vaccine.choices)
    product = models.CharField(_("product"), max_length=10, choices=Product.choices,
                               blank=True)
    given_on = models.DateField(_("date given"))
    clinic = models.CharField(_("clinic"), max_length=200, blank=True)
    lot_number = models.CharField(_("lot number"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices,
                              default=Source.GUARDIAN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["child", "given_on", "pk"]
        indexes = [models.Index(fields=["vaccine", "given_on"],
                                name="childcare_dose_vaccine_date")]
        verbose_name = _("dose")
        verbose_name_plural = _("doses")

    def __str__(self):
        return f"{self.vaccine} {self.given_on}"


class DoseAppointment(models.Model):
    """The date the guardian plans (or has booked at a clinic) for the next dose of a series;
    the engine plans the rest of the series from it. One per child and series."""

    child = models.ForeignKey(ChildProfile, on_delete=models.CASCADE,
                              related_name="appointments")
    series = models.CharField(_("series"), max_length=20)  # immunisation.series.SERIES key
    planned_on = models.DateField(_("planned date"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["child", "planned_on"]
        constraints = [models.UniqueConstraint(fields=["child", "series"],
                                               name="childcare_appointment_unique")]
        verbose_name = _("planned dose")
        verbose_name_plural = _("planned doses")

    def __str__(self):
        return f"{self.series} {self.planned_on}"
