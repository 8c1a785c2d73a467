"""factory_boy factories of core. Staff and residents are made through the services, so the
tests exercise the same code (and audit trail) as the portal and the demo loader."""

import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model

from cityhall.core import demo, services
from cityhall.core.models import BranchOffice, Department, ResidentProfile, Town

PASSWORD = "correct-horse-battery-staple"


def give_second_factor(user) -> Authenticator:
    """Give a staff member a TOTP authenticator, so StaffSecurityMiddleware lets them in."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing:
        return existing
    return TOTP.activate(user, generate_totp_secret()).instance


def verify_email(user) -> None:
    EmailAddress.objects.update_or_create(user=user, email=user.email,
                                          defaults={"verified": True, "primary": True})


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.cityhall.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    is_demo = False

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            verify_email(self)
        if create:
            self.save()


class StaffFactory(factory.Factory):
    """A staff member (a User with is_staff and a StaffProfile) holding `roles` (groups made by
    `services.sync_roles`), made through `services.staff_member_create`.

    Returns the User. `mfa=True` (the default) gives a TOTP authenticator.
    """

    class Meta:
        model = dict

    email = factory.Sequence(lambda n: f"staff{n}@test.cityhall.example")
    password = PASSWORD
    display_name = factory.Sequence(lambda n: f"職員 {n}")
    branch_office = factory.LazyFunction(lambda: BranchOffice.objects.get(code="shiba"))
    department = None
    roles = ("counter_clerk",)
    is_superuser = False
    is_demo = False
    mfa = True
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, mfa=True, is_active=True, **kwargs):
        if isinstance(kwargs["branch_office"], str):
            kwargs["branch_office"] = BranchOffice.objects.get(code=kwargs["branch_office"])
        if isinstance(kwargs.get("department"), str):
            kwargs["department"] = Department.objects.filter(code=kwargs["department"]).first()
        services.sync_roles()
        profile = services.staff_member_create(roles=list(kwargs.pop("roles")), **kwargs)
        user = profile.user
        verify_email(user)
        if not is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        if mfa:
            give_second_factor(user)
        return user

    _build = _create

    @classmethod
    def from_persona(cls, persona: demo.StaffPersona, **kwargs):
        return cls(email=persona.email, password=demo.DEMO_PASSWORD,
                   display_name=persona.display_name, branch_office=persona.branch_office,
                   department=persona.department, roles=persona.roles,
                   is_superuser=persona.is_superuser, is_demo=True, **kwargs)


class ResidentFactory(factory.Factory):
    """A resident: a User with a ResidentProfile in a Town, saved through
    `services.resident_profile_save` (which writes `resident.create`). Returns the profile.

    `town` is a Town or a (name, chōme) pair; the default is 芝公園2丁目 (branch office shiba).
    """

    class Meta:
        model = dict

    email = factory.Sequence(lambda n: f"resident{n}@test.cityhall.example")
    password = PASSWORD
    family_name = "港"
    given_name = factory.Sequence(lambda n: f"住民{n}")
    family_name_kana = "ミナト"
    given_name_kana = "ジュウミン"
    date_of_birth = datetime.date(1990, 1, 15)
    town = ("芝公園", 2)
    block_number = "1-1"
    phone = ""
    preferred_language = "ja"
    accessibility_needs = ()
    is_demo = False

    @classmethod
    def _create(cls, model_class, *args, email, password, is_demo, **data):
        user = UserFactory(email=email, password=password, is_demo=is_demo)
        town = data["town"]
        if not isinstance(town, Town):
            name, chome = town
            data["town"] = Town.objects.get(name=name, chome=chome)
        data["accessibility_needs"] = list(data["accessibility_needs"])
        profile = services.resident_profile_save(user=user, data=data, actor=user)
        if is_demo:
            ResidentProfile.objects.filter(pk=profile.pk).update(is_demo=True)
            profile.is_demo = True
        return profile

    _build = _create

    @classmethod
    def from_persona(cls, persona: demo.ResidentPersona, **kwargs):
        return cls(email=persona.email, password=demo.DEMO_PASSWORD,
                   family_name=persona.family_name, given_name=persona.given_name,
                   family_name_kana=persona.family_name_kana,
                   given_name_kana=persona.given_name_kana,
                   date_of_birth=persona.date_of_birth, town=persona.town,
                   block_number=persona.block_number,
                   preferred_language=persona.preferred_language,
                   accessibility_needs=persona.accessibility_needs, is_demo=True, **kwargs)
