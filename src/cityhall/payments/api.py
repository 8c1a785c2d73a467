"""Read API of the payments engine: the fee schedule (public)."""

from django.http import HttpRequest
from ninja import Router, Schema

from .models import Fee

router = Router(tags=["payments"])


class FeeOut(Schema):
    code: str
    name_ja: str
    name_en: str
    category: str
    amount_yen: int
    department: str | None
    legal_basis: str

    @staticmethod
    def resolve_department(obj):
        return obj.department.code if obj.department else None


@router.get("/fees", response=list[FeeOut])
def fees(request: HttpRequest):
    """The active fees, in yen."""
    return Fee.objects.filter(is_active=True).select_related("department")
