"""The one place that decides who may see or change what.

Apps never test `is_staff` or group names themselves: they call `can(...)` for a plain
permission, and the `access_*` functions for personal data, which check, audit and return the
record in one step (DESIGN.md, "one door to sensitive records").

Roles are Django groups (see `ROLES`); scoping by branch office is a rule of this module: a
staff member reads residents served by their own branch office unless one of their roles
grants `core.view_residents_all_branches`.
"""

from django.core.paginator import Page
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .errors import NotFoundError, PermissionDeniedError
from .models import ResidentProfile

# Role name -> the permissions its group carries. `sync_roles` (run by migrate via the demo
# loader and by `manage.py sync_roles`) makes the groups match this table.
ROLES: dict[str, dict] = {
    "counter_clerk": {
        "label": _("Counter clerk (窓口)"),
        "permissions": ["core.view_residentprofile"],
    },
    "branch_manager": {
        "label": _("Branch office manager (総合支所管理職)"),
        "permissions": ["core.view_residentprofile", "core.view_staffprofile",
                        "core.view_taskfailure"],
    },
    "records_supervisor": {
        "label": _("Resident records supervisor, all branches (区民課)"),
        "permissions": ["core.view_residentprofile", "core.view_residents_all_branches"],
    },
    "application_reviewer": {
        # The application permissions come from the procedures engine
        # (register_role_permissions), so this role exists even where it is not installed.
        "label": _("Application reviewer (申請審査担当)"),
        "permissions": [],
    },
    "feedback_officer": {
        # The permissions come from the feedback app (register_role_permissions), so this
        # role exists even where that app is not installed.
        "label": _("Public hearing officer (広聴担当)"),
        "permissions": [],
    },
    "street_reports_officer": {
        # The report permissions come from the reports app (register_role_permissions).
        "label": _("Street reports officer (道路・公園の通報担当)"),
        "permissions": [],
    },
    "street_reports_manager": {
        "label": _("Street reports manager, all departments (通報統括)"),
        "permissions": [],
    },
    "faq_editor": {
        # The FAQ permissions come from the faq app (register_role_permissions).
        "label": _("FAQ editor, all departments (広聴・FAQ担当)"),
        "permissions": [],
    },
    "faq_department_editor": {
        # Edits the FAQ entries of their own department only (the faq app's rule).
        "label": _("FAQ editor of a department (各課FAQ担当)"),
        "permissions": [],
    },
    "opendata_editor": {
        # The catalogue permissions come from the opendata engine (register_role_permissions).
        "label": _("Open data officer, all organizations (オープンデータ担当)"),
        "permissions": [],
    },
    "opendata_department_editor": {
        # Publishes the datasets of their own department's organization only.
        "label": _("Open data editor of a department (各課オープンデータ担当)"),
        "permissions": [],
    },
    "nursery_admissions_officer": {
        # The admission permissions come from the childcare app (register_role_permissions).
        "label": _("Nursery admissions officer (保育課 入所担当)"),
        "permissions": [],
    },
    "immunisation_officer": {
        # The immunisation record permissions come from the childcare app
        # (register_role_permissions).
        "label": _("Immunisation officer (保健所 予防接種担当)"),
        "permissions": [],
    },
    "auditor": {
        "label": _("Auditor (監査)"),
        "permissions": ["core.view_auditevent", "core.view_workerheartbeat"],
    },
    "system_admin": {
        "label": _("System administrator (情報政策課)"),
        "permissions": [
            "core.view_taskfailure", "core.change_taskfailure", "core.retry_taskfailure",
            "core.view_workerheartbeat", "core.view_facility", "core.change_facility",
            "core.add_facility", "core.view_branchoffice", "core.view_department",
            "core.view_town", "core.view_staffprofile",
        ],
    },
}


def is_staff_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def can(user, permission: str) -> bool:
    """True when an active staff member holds `permission` through a role (or is superuser)."""
    return is_staff_member(user) and user.has_perm(permission)


def staff_branch_office_id(user):
    profile = getattr(user, "staff_profile", None)
    return profile.branch_office_id if profile else None


def can_view_resident(user, resident: ResidentProfile) -> bool:
    if user.is_authenticated and resident.user_id == user.pk:
        return True
    if not can(user, "core.view_residentprofile"):
        return False
    if user.has_perm("core.view_residents_all_branches"):
        return True
    return staff_branch_office_id(user) == resident.town.branch_office_id


def residents_visible_to(user):
    """The residents a staff member may list; reading one still goes through
    `access_resident_profile`, which writes the audit event."""
    queryset = ResidentProfile.objects.select_related("town__branch_office", "user")
    if not can(user, "core.view_residentprofile"):
        return queryset.none()
    if user.has_perm("core.view_residents_all_branches"):
        return queryset
    return queryset.filter(town__branch_office_id=staff_branch_office_id(user))


def access_resident_list(user, *, query: str, page_number) -> Page:
    """One page of the residents a staff member may list, searched by the start of the
    (kana) family name. Names are personal data, so each page shown is recorded: the search
    and how many residents it showed, never who."""
    from django.core.paginator import Paginator

    if not can(user, "core.view_residentprofile"):
        raise PermissionDeniedError()
    residents = residents_visible_to(user).order_by("family_name_kana", "given_name_kana")
    if query:
        residents = residents.filter(family_name_kana__startswith=query) | residents.filter(
            family_name__startswith=query)
    page = Paginator(residents, 25).get_page(page_number)
    with transaction.atomic():
        audit_record(actor=user, action="resident.list", target_type="core.residentprofile",
                     details={"query": query, "page": page.number,
                              "shown": len(page.object_list)})
    return page


def access_resident_profile(user, resident_id, *, purpose: str) -> ResidentProfile:
    """Return the resident's profile if `user` may read it, recording the read.

    A resident reading their own profile is not a staff read and is not audited; every staff
    read is, with the purpose given.
    """
    try:
        resident = ResidentProfile.objects.select_related("town__branch_office", "user").get(
            pk=resident_id)
    except (ResidentProfile.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if not can_view_resident(user, resident):
        if is_staff_member(user):
            audit_record(actor=user, action="resident.read_denied", target=resident,
                         purpose=purpose)
        raise PermissionDeniedError()
    if resident.user_id != user.pk:
        with transaction.atomic():
            audit_record(actor=user, action="resident.read", target=resident, purpose=purpose)
    return resident


def staff_permission_required(permission: str):
    """Decorate a staff page: anonymous visitors go to sign in, signed-in users without
    `permission` get 403 (through CityhallErrorMiddleware), everyone else gets the page."""
    import functools

    from django.contrib.auth.views import redirect_to_login

    def decorate(view):
        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, permission):
                raise PermissionDeniedError()
            return view(request, *args, **kwargs)
        return guarded
    return decorate
