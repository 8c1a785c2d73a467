"""Pages of the feedback app (広聴, 取組11): the resident's form, the confirmation, "my
opinions", the public Q&A; and the staff queue, an opinion (read through the audited door),
its routing, reply, approval, sending, closing, its Q&A entry, and the monthly counts.

Views are thin: they parse, check access, call one service and render.
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityhall.core.errors import CityhallError, NotFoundError
from cityhall.core.middleware import client_ip
from cityhall.core.models import Department
from cityhall.core.permissions import can, staff_permission_required
from cityhall.core.privacy import mask_contact_details

from . import ratelimit, selectors, services
from .forms import (
    MonthForm,
    NoteForm,
    OpinionForm,
    QAForm,
    QASearchForm,
    QueueFilterForm,
    ReplyForm,
    RouteForm,
)
from .models import Opinion, QAEntry, Reply
from .permissions import access_opinion, may

SESSION_LAST = "feedback_last_reference"


def _japanese() -> bool:
    return (get_language() or "ja").startswith("ja")


def _topic_choices():
    ja = _japanese()
    return [(t.code, t.name if ja else t.name_en) for t in selectors.active_topics()]


def _department_choices(departments):
    ja = _japanese()
    return [(d.code, d.name if ja else d.name_en) for d in departments]


def _add_error(form, error: CityhallError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- residents ------------------------------------------------------------------------------

@never_cache
def opinion_new(request):
    signed_in = request.user.is_authenticated
    form = OpinionForm(request.POST or None, signed_in=signed_in)
    if request.method == "POST" and form.is_valid():
        if not request.session.session_key:
            request.session.save()
        keys = [("ip", client_ip(request) or ""), ("session", request.session.session_key),
                ("user", str(request.user.pk) if signed_in else "")]
        if not ratelimit.take(keys):
            form.add_error(None, _("You have sent many opinions in a short time. Please wait "
                                   "an hour and send it again."))
            return render(request, "feedback/opinion_new.html", {"form": form}, status=429)
        data = dict(form.cleaned_data)
        try:
            opinion = services.opinion_submit(
                actor=request.user if signed_in else None,
                sender=request.user if signed_in else None, channel=Opinion.Channel.WEB,
                language=get_language() or "ja", **data)
        except CityhallError as error:
            _add_error(form, error)
        else:
            request.session[SESSION_LAST] = opinion.reference
            return redirect("feedback:opinion_sent")
    status = 400 if request.method == "POST" else 200
    return render(request, "feedback/opinion_new.html", {"form": form}, status=status)


@never_cache
def opinion_sent(request):
    reference = request.session.get(SESSION_LAST)
    if not reference:
        return redirect("feedback:opinion_new")
    return render(request, "feedback/opinion_sent.html", {"reference": reference})


@never_cache
@login_required
def my_opinions(request):
    opinions = selectors.my_opinions(request.user)
    rows = [(opinion, opinion.replies.filter(status=Reply.Status.SENT).first())
            for opinion in opinions]
    return render(request, "feedback/my_opinions.html", {"rows": rows})


def qa_list(request):
    departments = list(selectors.qa_departments())
    form = QASearchForm(request.GET or None, topics=_topic_choices(),
                        departments=_department_choices(departments))
    if request.GET and not form.is_valid():
        return render(request, "feedback/qa_list.html",
                      {"form": form, "page": None}, status=400)
    data = form.cleaned_data if request.GET else {}
    entries = selectors.published_qa(query=data.get("q", ""), topic=data.get("topic", ""),
                                     department=data.get("department", ""))
    page = Paginator(entries, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "feedback/qa_list.html",
                  {"form": form, "page": page, "query": query.urlencode()})


def qa_detail(request, pk):
    entry = get_object_or_404(QAEntry.objects.select_related("topic", "department"),
                              pk=pk, status=QAEntry.Status.PUBLISHED)
    return render(request, "feedback/qa_detail.html", {"entry": entry})


# --- staff ----------------------------------------------------------------------------------

@never_cache
@staff_permission_required("feedback.view_opinion")
def staff_queue(request):
    departments = Department.objects.filter(opinions__isnull=False).distinct().order_by("code")
    form = QueueFilterForm(request.GET or None, topics=_topic_choices(),
                           departments=_department_choices(departments))
    data = form.cleaned_data if request.GET and form.is_valid() else {}
    opinions = selectors.staff_queue(request.user, status=data.get("status", ""),
                                     department=data.get("department", ""),
                                     topic=data.get("topic", ""))
    page = Paginator(opinions, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "feedback/staff/queue.html",
                  {"form": form, "page": page, "query": query.urlencode(),
                   "can_stats": can(request.user, "feedback.view_feedback_stats")})


def _detail_context(request, opinion, **forms):
    reply = opinion.replies.exclude(status=Reply.Status.REJECTED).first()
    user = request.user
    context = {
        "opinion": opinion, "reply": reply,
        "events": opinion.events.select_related("actor__staff_profile", "department"),
        "masked_text": mask_contact_details(opinion.text),
        "can_route": can(user, "feedback.route_opinion")
        and opinion.status in (Opinion.Status.RECEIVED, Opinion.Status.ROUTED),
        "can_draft": may(user, "feedback.draft_reply", opinion)
        and opinion.status in (Opinion.Status.ROUTED, Opinion.Status.REPLY_DRAFTED)
        and opinion.can_be_replied,
        "can_approve": may(user, "feedback.approve_reply", opinion)
        and reply is not None and reply.status == Reply.Status.DRAFT
        and reply.author_id != user.pk,
        "can_send": may(user, "feedback.draft_reply", opinion)
        and reply is not None and reply.status == Reply.Status.APPROVED,
        "can_close": (may(user, "feedback.draft_reply", opinion)
                      or can(user, "feedback.route_opinion")),
        "can_publish": can(user, "feedback.publish_qa"),
        "qa": QAEntry.objects.filter(opinion=opinion).first(),
    }
    context["route_form"] = forms.get("route_form") or RouteForm(
        initial={"department": opinion.department_id})
    context["reply_form"] = forms.get("reply_form") or ReplyForm(
        initial={"body": reply.body if reply and reply.status == Reply.Status.DRAFT else ""})
    context["note_form"] = forms.get("note_form") or NoteForm()
    context["error"] = forms.get("error")
    return context


@never_cache
@staff_permission_required("feedback.view_opinion")
def staff_opinion(request, pk):
    opinion = access_opinion(request.user, pk, purpose="feedback: handle the opinion")
    return render(request, "feedback/staff/opinion.html", _detail_context(request, opinion))


ACTIONS = {"route", "draft", "approve", "reject", "send", "close", "no_reply"}


@never_cache
@require_POST
@staff_permission_required("feedback.view_opinion")
def staff_opinion_action(request, pk, action):
    if action not in ACTIONS:
        raise NotFoundError()
    opinion = access_opinion(request.user, pk, purpose=f"feedback: {action}")
    forms = {}
    try:
        if action == "route":
            form = forms["route_form"] = RouteForm(request.POST)
            if not form.is_valid():
                raise _FormInvalid
            services.opinion_route(opinion=opinion, actor=request.user,
                                   department=form.cleaned_data["department"],
                                   note=form.cleaned_data["note"])
            message = _("The opinion was routed to the department.")
        elif action == "draft":
            form = forms["reply_form"] = ReplyForm(request.POST)
            if not form.is_valid():
                raise _FormInvalid
            services.reply_draft(opinion=opinion, body=form.cleaned_data["body"],
                                 actor=request.user)
            message = _("The reply was saved. Another staff member must approve it.")
        elif action == "approve":
            services.reply_approve(opinion=opinion, actor=request.user)
            message = _("The reply was approved.")
        elif action == "send":
            services.reply_send(opinion=opinion, actor=request.user)
            message = _("The reply is being sent to the sender.")
        else:
            form = forms["note_form"] = NoteForm(request.POST)
            if not form.is_valid():
                raise _FormInvalid
            note = form.cleaned_data["note"]
            if action == "reject":
                services.reply_reject(opinion=opinion, actor=request.user, note=note)
                message = _("The reply was sent back for changes.")
            else:
                services.opinion_close(opinion=opinion, actor=request.user, note=note,
                                       without_reply=action == "no_reply")
                message = _("The opinion was closed.")
    except _FormInvalid:
        pass
    except CityhallError as error:
        forms["error"] = error.message
    else:
        messages.success(request, message)
        return redirect("feedback:staff_opinion", pk=opinion.pk)
    opinion.refresh_from_db()
    return render(request, "feedback/staff/opinion.html",
                  _detail_context(request, opinion, **forms), status=400)


class _FormInvalid(Exception):
    pass


@never_cache
@staff_permission_required("feedback.publish_qa")
def staff_qa(request, pk):
    opinion = access_opinion(request.user, pk, purpose="feedback: write the Q&A entry")
    entry = QAEntry.objects.filter(opinion=opinion).first()
    initial = {"question": entry.question, "answer": entry.answer} if entry else {
        "question": mask_contact_details(opinion.text)[:1000]}
    form = QAForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action", "save")
        if action == "withdraw" and entry is not None:
            try:
                services.qa_withdraw(entry=entry, actor=request.user)
            except CityhallError as error:
                form = QAForm(initial=initial)
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The Q&A entry was withdrawn."))
                return redirect("feedback:staff_qa", pk=opinion.pk)
        elif form.is_valid():
            try:
                entry = services.qa_save(opinion=opinion, actor=request.user,
                                         **form.cleaned_data)
                if action == "publish":
                    services.qa_publish(entry=entry, actor=request.user)
            except CityhallError as error:
                _add_error(form, error)
            else:
                messages.success(request, _("The Q&A entry was published.")
                                 if action == "publish" else _("The Q&A entry was saved."))
                return redirect("feedback:staff_qa", pk=opinion.pk)
    return render(request, "feedback/staff/qa.html",
                  {"opinion": opinion, "entry": entry, "form": form,
                   "masked_text": mask_contact_details(opinion.text)}, status=status)


CSV_ENCODINGS = {"utf-8": "utf-8-sig", "shift_jis": "cp932"}


def stats_csv(counts: dict, month, *, encoding: str) -> bytes:
    """One fixed Japanese layout whatever the page language (Excel macros read it by column
    name): 区分, 項目, 件数."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["対象月", "区分", "項目", "件数"])
    label = f"{month:%Y-%m}"
    writer.writerow([label, "合計", "", counts["total"]])
    for row in counts["topic"]:
        writer.writerow([label, "分野", row["topic__name"], row["count"]])
    for row in counts["department"]:
        writer.writerow([label, "担当課", row["department__name"] or "未振り分け",
                         row["count"]])
    channels = dict(Opinion.Channel.choices)
    names = {"web": "ウェブ", "line": "LINE", "counter": "窓口", "mail": "郵送"}
    for row in counts["channel"]:
        writer.writerow([label, "受付方法", names.get(row["channel"],
                                                  str(channels.get(row["channel"]))),
                         row["count"]])
    return buffer.getvalue().encode(CSV_ENCODINGS[encoding], errors="replace")


@never_cache
@staff_permission_required("feedback.view_feedback_stats")
def staff_stats(request):
    form = MonthForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "feedback/staff/stats.html", {"form": form}, status=400)
    month = form.month_date() if request.GET else timezone.localdate().replace(day=1)
    counts = selectors.monthly_counts(request.user, month=month)
    for row in counts["channel"]:
        row["label"] = Opinion.Channel(row["channel"]).label
    if request.GET.get("format") == "csv":
        encoding = (form.cleaned_data.get("encoding") if request.GET else "") or "utf-8"
        cp932 = CSV_ENCODINGS[encoding] == "cp932"
        response = HttpResponse(stats_csv(counts, month, encoding=encoding),
                                content_type=f"text/csv; charset="
                                             f"{'shift_jis' if cp932 else 'utf-8'}")
        response["Content-Disposition"] = (
            f'attachment; filename="feedback-{month:%Y-%m}-{"cp932" if cp932 else "utf-8"}'
            f'.csv"')
        return response
    return render(request, "feedback/staff/stats.html",
                  {"form": form, "counts": counts, "month": month,
                   "csv_url": reverse("feedback:staff_stats")})
