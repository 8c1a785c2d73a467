"""Load Minato City and its demo people: `manage.py load_minato_demo` (safe to run again).

Real data: the municipality, branch offices, departments, towns and the GSI shelter data.
Invented data (marked is_demo): staff and residents from `core.demo`.
"""

import json
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from cityhall.core import demo, services
from cityhall.core.models import BranchOffice, Department, Town

DATA = Path(__file__).resolve().parents[2] / "data" / "minato"


class Command(BaseCommand):
    help = "Load Minato City's reference data and the demo staff and residents (idempotent)."

    def handle(self, *args, **options):
        municipality, count = load_minato_reference()
        with transaction.atomic():
            for persona in demo.STAFF.values():
                load_staff_persona(persona)
            for persona in demo.RESIDENTS.values():
                load_resident_persona(persona)
        from cityhall.core.registry import demo_loaders

        # The installed apps' invented demo state, which may refer to the personas above.
        for _name, loader in demo_loaders():
            loader()
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {municipality.name}: {BranchOffice.objects.count()} offices, "
            f"{Town.objects.count()} towns, {count} shelters and evacuation sites, "
            f"{len(demo.STAFF)} demo staff, {len(demo.RESIDENTS)} demo residents."))


def load_minato_reference():
    """The real data of Minato City and the role groups; no people."""
    municipality = services.municipality_import(
        data=json.loads((DATA / "municipality.json").read_text(encoding="utf-8")))
    count = services.shelters_import(
        municipality=municipality,
        shelters=json.loads((DATA / "designated_shelters.geojson").read_text("utf-8")),
        evacuation_sites=json.loads(
            (DATA / "emergency_evacuation_sites.geojson").read_text("utf-8")))
    services.sync_roles()
    from cityhall.core.registry import reference_loaders

    for _name, loader in reference_loaders():
        loader()
    return municipality, count


def load_staff_persona(persona: demo.StaffPersona):
    profile = services.staff_member_create(
        email=persona.email, password=demo.DEMO_PASSWORD, display_name=persona.display_name,
        branch_office=BranchOffice.objects.get(code=persona.branch_office),
        department=Department.objects.filter(code=persona.department).first(),
        roles=list(persona.roles), is_superuser=persona.is_superuser, is_demo=True)
    _verify_email(profile.user)
    return profile


def load_resident_persona(persona: demo.ResidentPersona):
    User = get_user_model()
    user = User.objects.filter(email=persona.email).first()
    if user is None:
        user = User.objects.create_user(email=persona.email, password=demo.DEMO_PASSWORD,
                                        is_demo=True)
    _verify_email(user)
    name, chome = persona.town
    profile = services.resident_profile_save(user=user, actor=user, data={
        "family_name": persona.family_name, "given_name": persona.given_name,
        "family_name_kana": persona.family_name_kana,
        "given_name_kana": persona.given_name_kana, "date_of_birth": persona.date_of_birth,
        "town": Town.objects.get(name=name, chome=chome), "block_number": persona.block_number,
        "preferred_language": persona.preferred_language,
        "accessibility_needs": list(persona.accessibility_needs)})
    if not profile.is_demo:
        type(profile).objects.filter(pk=profile.pk).update(is_demo=True)
    return profile


def _verify_email(user):
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True})
