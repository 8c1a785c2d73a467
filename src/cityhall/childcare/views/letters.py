"""Publishing a round's result and its result letters (取組7): the staff confirmation page and
the publish action, one household's letter from the child page, the letters of a whole
round (a background task with its progress, then an audited download), and the resident's
own letter once the round is published. Thin: parse, check access, call one service,
render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cityhall.core.errors import CityhallError, NotFoundError
from cityhall.core.permissions import staff_permission_required

from ..models import SELECTED_STATUSES, AdmissionRound, Application, LetterBatch
from ..permissions import access_application
from ..services import publication
from ..services.instance import RUN_PERMISSION
from .rounds import _round, _round_context

VIEW = "childcare.view_application"


def household_letter_pdf(application) -> bytes:
    # Imported here: the letters module prints with this package's wording (views.text).
    from ..letters import household_letter_pdf as render

    return render(application)


def letter_filename(round_, household=None) -> str:
    from ..letters import letter_filename as name

    return name(round_, household)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@staff_permission_required(RUN_PERMISSION)
def round_publish(request, round_id):
    """GET: what publishing does, and a button to do it. POST: publish."""
    round_ = _round(round_id)
    if request.method != "POST":
        if round_.state != AdmissionRound.State.CONFIRMED:
            return redirect("childcare:round", round_id=round_.pk)
        online = Application.objects.filter(
            round=round_, resident__isnull=False,
            household__online_status__in=SELECTED_STATUSES).count()
        return render(request, "childcare/staff/publish.html",
                      {"round": round_, "online": online})
    try:
        publication.round_publish(round=round_, actor=request.user)
    except CityhallError as error:
        round_.refresh_from_db()
        return render(request, "childcare/staff/round.html",
                      _round_context(request, round_, error=error.message), status=400)
    messages.success(request, _("The result is published. The applicants who applied online "
                                "are being told."))
    return redirect("childcare:round", round_id=round_.pk)


@never_cache
@staff_permission_required(VIEW)
def application_letter(request, application_id):
    application = access_application(request.user, application_id,
                                     purpose=_("Nursery admission: print the result letter"))
    if application.round.state not in publication.LETTER_STATES:
        raise NotFoundError()
    return _pdf_response(household_letter_pdf(application),
                         letter_filename(application.round, application.household))


@never_cache
@require_POST
@staff_permission_required(RUN_PERMISSION)
def letters_request(request, round_id):
    round_ = _round(round_id)
    try:
        batch = publication.letter_batch_request(round=round_, actor=request.user)
    except CityhallError as error:
        round_.refresh_from_db()
        return render(request, "childcare/staff/round.html",
                      _round_context(request, round_, error=error.message), status=400)
    return redirect("childcare:letters_batch", round_id=round_.pk, batch_id=batch.pk)


def _batch(round_, batch_id) -> LetterBatch:
    batch = LetterBatch.objects.filter(pk=batch_id, round=round_).first()
    if batch is None:
        raise NotFoundError()
    return batch


@never_cache
@staff_permission_required(RUN_PERMISSION)
def letters_batch(request, round_id, batch_id):
    round_ = _round(round_id)
    context = {"round": round_, "batch": _batch(round_, batch_id)}
    if request.headers.get("HX-Request"):
        return render(request, "childcare/staff/_letters_progress.html", context)
    return render(request, "childcare/staff/letters.html", context)


@never_cache
@staff_permission_required(RUN_PERMISSION)
def letters_download(request, round_id, batch_id):
    round_ = _round(round_id)
    batch = publication.letter_batch_open(batch_id=batch_id, round=round_, actor=request.user)
    response = FileResponse(batch.file.open("rb"), content_type="application/pdf",
                            as_attachment=True, filename=letter_filename(round_))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
def my_application_letter(request, application_id):
    """The signed-in applicant's household letter; anyone else, or before the result is
    published, gets "not found"."""
    application = (Application.objects.select_related("round", "household")
                   .filter(pk=application_id, resident__user=request.user,
                           round__state=AdmissionRound.State.PUBLISHED,
                           household__online_status__in=SELECTED_STATUSES).first())
    if application is None:
        raise Http404
    return _pdf_response(household_letter_pdf(application),
                         letter_filename(application.round, application.household))
