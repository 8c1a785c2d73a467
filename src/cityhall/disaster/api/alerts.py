"""API for alerts (取組12): the alerts in force as JSON for apps and signage that do not read
CAP. Public, read-only; the CAP 1.2 documents and the Atom feed live under /alerts/."""

from datetime import datetime

from django.urls import reverse
from ninja import Router, Schema

router = Router(tags=["alerts"])


class AlertText(Schema):
    event: str
    headline: str
    description: str
    instruction: str
    translated: bool


class AlertOut(Schema):
    identifier: str
    msg_type: str
    status: str
    urgency: str
    severity: str
    certainty: str
    sent: datetime
    expires: datetime | None
    areas: list[str]
    texts: dict[str, AlertText]
    cap_url: str
    url: str


@router.get("/", response=list[AlertOut], summary="Alerts in force now")
def alerts_in_force(request):
    from ..alerts_texts import LANGUAGES
    from ..services import active_alerts

    result = []
    for alert in active_alerts():
        result.append({
            "identifier": alert.identifier, "msg_type": alert.msg_type,
            "status": alert.status, "urgency": alert.urgency, "severity": alert.severity,
            "certainty": alert.certainty, "sent": alert.sent, "expires": alert.expires,
            "areas": [office.code for office in alert.branch_offices.all()],
            "texts": {language: {**{name: alert.text(language, name) for name in
                                    ("event", "headline", "description", "instruction")},
                                 "translated": alert.is_translated(language)}
                      for language in LANGUAGES},
            "cap_url": request.build_absolute_uri(
                reverse("disaster:alert_cap", args=[alert.identifier])),
            "url": request.build_absolute_uri(
                reverse("disaster:alert_detail", args=[alert.identifier]))})
    return result
