"""Factories of the feedback tests (取組11): opinions are made through `opinion_submit`, staff
through core's StaffFactory (`services.staff_member_create`)."""

import factory

from cityhall.core.tests.factories import StaffFactory
from cityhall.feedback import services
from cityhall.feedback.models import Topic


class OpinionFactory(factory.Factory):
    """An opinion sent from the web by someone who left contact details. Returns the
    Opinion; pass `sender=user, actor=user` for a signed-in resident."""

    class Meta:
        model = dict

    topic = factory.LazyFunction(lambda: Topic.objects.get(code="town-planning"))
    kind = "proposal"
    text = "公園にベンチを増やしてほしいです。"
    actor = None
    contact_name = "港 次郎"
    contact_email = "jiro.minato@example.com"
    contact_phone = "090-1234-5678"
    contact_address = "東京都港区芝公園2-3-1 みなとハイツ303"
    wants_reply = True
    consent_to_publish = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.opinion_submit(**kwargs)

    _build = _create


def feedback_staff(*, roles, department, email=None, branch_office="main"):
    return StaffFactory(roles=roles, department=department, branch_office=branch_office,
                        **({"email": email} if email else {}))
