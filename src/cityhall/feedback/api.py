"""The public API of the feedback app (取組11), mounted at /api/v1/feedback/: the published,
anonymised Q&A and the topic list. Nothing of an opinion itself (its text, its sender, its
contact details) is ever part of a response."""

import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from . import selectors
from .models import QAEntry

router = Router(tags=["feedback"])


class TopicOut(Schema):
    code: str
    name: str
    name_en: str


class DepartmentOut(Schema):
    code: str
    name: str
    name_en: str


class QAOut(Schema):
    id: int
    topic: TopicOut
    department: DepartmentOut
    question: str
    answer: str
    published_on: datetime.date


@router.get("/topics", response=list[TopicOut])
def topics(request):
    return list(selectors.active_topics())


@router.get("/qa", response=list[QAOut])
@paginate
def qa_list(request, q: str = "", topic: str = "", department: str = ""):
    return selectors.published_qa(query=q[:100], topic=topic[:40], department=department[:40])


@router.get("/qa/{entry_id}", response=QAOut)
def qa_detail(request, entry_id: int):
    return get_object_or_404(QAEntry.objects.select_related("topic", "department"),
                             pk=entry_id, status=QAEntry.Status.PUBLISHED)
