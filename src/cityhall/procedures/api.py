"""Read API of the procedure catalogue and the navigator (mounted at /api/v1/procedures/)."""

import datetime
import uuid

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.security import HttpBearer

from cityhall.core.audit import audit_record
from cityhall.core.errors import NotFoundError, ValidationFailed

from . import selectors

router = Router(tags=["procedures"])


class ProcedureOut(Schema):
    code: str
    name_ja: str
    name_en: str
    name_kana: str
    department: str | None = None
    purpose_ja: str
    purpose_en: str
    deadline_ja: str
    deadline_en: str
    deadline_days: int | None
    documents_ja: list[str]
    documents_en: list[str]
    fee_yen: int | None
    channels: list[str]
    where_ja: str
    legal_basis: str
    url: str

    @staticmethod
    def resolve_department(obj):
        return obj.department.code if obj.department_id else None


class LifeEventOut(Schema):
    code: str
    name_ja: str
    name_en: str
    questions: list[dict]


class ChecklistIn(Schema):
    event_date: datetime.date | None = None
    answers: dict = {}


class ChecklistItemOut(Schema):
    procedure: str
    name_ja: str
    name_en: str
    certain: bool
    deadline: datetime.date | None
    step: int


@router.get("/procedures", response=list[ProcedureOut])
@paginate
def procedures(request: HttpRequest, q: str = "", life_event: str | None = None):
    event = None
    if life_event:
        event = selectors.published_life_events().filter(code=life_event).first()
        if event is None:
            raise ValidationFailed(field="life_event")
    return selectors.search_procedures(query=q[:100], life_event=event)


@router.get("/procedures/{code}", response=ProcedureOut)
def procedure(request: HttpRequest, code: str):
    found = selectors.published_procedures().filter(code=code).first()
    if found is None:
        raise NotFoundError()
    return found


@router.get("/life-events", response=list[LifeEventOut])
def life_events(request: HttpRequest):
    return list(selectors.published_life_events())


@router.post("/life-events/{code}/checklist", response=list[ChecklistItemOut])
def checklist(request: HttpRequest, code: str, payload: ChecklistIn):
    event = selectors.published_life_events().filter(code=code).first()
    if event is None:
        raise NotFoundError()
    questions = {question["key"]: question for question in event.questions}
    for key, value in payload.answers.items():
        question = questions.get(key)
        if question is None:
            raise ValidationFailed(field=key)
        valid = {
            "bool": isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "choice": value in {c["value"] for c in question.get("choices", [])},
        }[question["type"]]
        if not valid:
            raise ValidationFailed(field=key)
    items = selectors.checklist(life_event=event, answers=payload.answers,
                                event_date=payload.event_date)
    return [ChecklistItemOut(procedure=item.procedure.code, name_ja=item.procedure.name_ja,
                             name_en=item.procedure.name_en, certain=item.certain,
                             deadline=item.deadline, step=item.rule.step) for item in items]


# --- business systems (bearer token of an IntegrationClient) ---------------------------------

class ClientToken(HttpBearer):
    def authenticate(self, request, token):
        from .integration import client_for_token

        client = client_for_token(token)
        if client is not None:
            request.integration_client = client
        return client


class StatusIn(Schema):
    status: str
    comment: str = ""
    internal: bool = False


@router.get("/integration/applications", auth=ClientToken(), tags=["integration"])
def integration_applications(request: HttpRequest, status: str = "submitted",
                             since: datetime.datetime | None = None, limit: int = 100):
    """Applications of the client's department in `status`, oldest first (since: updated
    after this time); answers included."""
    from .integration import application_payload, applications_for_client
    from .models import Application

    if status not in Application.Status.values or status == "draft":
        raise ValidationFailed(field="status")
    applications = applications_for_client(request.integration_client).filter(status=status)
    if since is not None:
        applications = applications.filter(updated_at__gt=since)
    applications = applications.order_by("updated_at")[:max(1, min(limit, 500))]
    items = [application_payload(application) for application in applications]
    audit_record(actor=request.integration_client.acting_user, action="application.pull",
                 target_type="procedures.integrationclient",
                 target_id=request.integration_client.pk, details={"count": len(items)})
    return {"applications": items}


@router.post("/integration/applications/{reference}/status", auth=ClientToken(),
             tags=["integration"])
def integration_set_status(request: HttpRequest, reference: str, payload: StatusIn):
    from . import services
    from .integration import application_payload, applications_for_client

    application = applications_for_client(request.integration_client).filter(
        reference=reference).first()
    if application is None:
        raise NotFoundError()
    application = services.application_transition(
        application=application, status_to=payload.status,
        actor=request.integration_client.acting_user, comment=payload.comment[:4000],
        is_internal=payload.internal)
    return application_payload(application)


@router.get("/integration/applications/{reference}/attachments/{attachment_id}",
            auth=ClientToken(), tags=["integration"])
def integration_attachment(request: HttpRequest, reference: str, attachment_id: uuid.UUID):
    """One attached file of an application of the client's department, as uploaded."""

    from . import services
    from .attachments import download_response
    from .integration import applications_for_client

    application = applications_for_client(request.integration_client).filter(
        reference=reference).first()
    if application is None:
        raise NotFoundError()
    attachment = services.attachment_read(
        application=application, attachment_id=attachment_id,
        actor=request.integration_client.acting_user)
    return download_response(attachment.file, name=attachment.original_name,
                             content_type=attachment.content_type)
