"""Public read API of core: the municipality, its branch offices, towns and facilities, and the
signed-in resident's own profile."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.security import django_auth

from . import selectors
from .errors import NotFoundError, ValidationFailed
from .models import Facility, ResidentProfile

router = Router(tags=["core"])


class MunicipalityOut(Schema):
    code: str
    name: str
    name_kana: str
    name_en: str
    prefecture: str


class BranchOfficeOut(Schema):
    code: str
    name: str
    name_kana: str
    name_en: str
    is_main_office: bool
    address: str
    phone: str


class TownOut(Schema):
    id: int
    name: str
    name_kana: str
    chome: int | None
    label: str
    branch_office: str = Field(..., alias="branch_office.code")


class FacilityOut(Schema):
    code: str
    name: str
    name_kana: str
    kind: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    opening_hours: str
    accessibility: list[str]
    hazards: list[str]
    branch_office: str | None = Field(None, alias="branch_office.code")
    is_demo: bool


class ProfileOut(Schema):
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    date_of_birth: str
    town: str
    block_number: str
    phone: str
    preferred_language: str
    accessibility_needs: list[str]


@router.get("/municipality", response=MunicipalityOut)
def municipality(request: HttpRequest):
    found = selectors.current_municipality()
    if found is None:
        raise NotFoundError()
    return found


@router.get("/branch-offices", response=list[BranchOfficeOut])
def branch_offices(request: HttpRequest):
    return list(selectors.branch_offices())


@router.get("/towns", response=list[TownOut])
@paginate
def towns(request: HttpRequest):
    return selectors.towns()


@router.get("/facilities", response=list[FacilityOut])
@paginate
def facilities(request: HttpRequest, kind: str | None = None, branch_office: str | None = None):
    if kind and kind not in Facility.Kind.values:
        raise ValidationFailed(field="kind")
    return selectors.facilities(kind=kind, branch_office_code=branch_office)


@router.get("/facilities/{code}", response=FacilityOut)
def facility(request: HttpRequest, code: str):
    found = selectors.facilities().filter(code=code).first()
    if found is None:
        raise NotFoundError()
    return found


@router.get("/me/profile", response=ProfileOut, auth=django_auth)
def my_profile(request: HttpRequest):
    profile = ResidentProfile.objects.filter(user=request.user).select_related("town").first()
    if profile is None:
        raise NotFoundError()
    return ProfileOut(
        family_name=profile.family_name, given_name=profile.given_name,
        family_name_kana=profile.family_name_kana, given_name_kana=profile.given_name_kana,
        date_of_birth=profile.date_of_birth.isoformat(), town=profile.town.label,
        block_number=profile.block_number, phone=profile.phone,
        preferred_language=profile.preferred_language,
        accessibility_needs=profile.accessibility_needs)
