"""Pages of the payments engine (取組2): a resident pays and downloads the receipt; staff
take counter payments, ask for and approve refunds, and reconcile the day. The provider's
webhook arrives here too. Views parse, check access, call a service, render."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cityhall.core.audit import audit_record
from cityhall.core.errors import CityhallError, PermissionDeniedError
from cityhall.core.permissions import can, staff_permission_required

from . import selectors, services
from .documents import receipt_pdf
from .forms import (
    CounterPaymentForm,
    ReconciliationForm,
    RefundDecisionForm,
    RefundRequestForm,
)
from .models import Refund
from .permissions import access_payment, own_payment
from .providers import PROVIDERS, ProviderUnavailable

# --- residents -------------------------------------------------------------------------------


@login_required
@never_cache
def payment_detail(request, payment_id):
    payment = own_payment(request.user, payment_id)
    return render(request, "payments/payment_detail.html", {"payment": payment})


@login_required
@require_POST
def payment_pay(request, payment_id):
    payment = own_payment(request.user, payment_id)
    return_url = request.build_absolute_uri(reverse("payments:payment_detail",
                                                    args=[payment.pk]))
    try:
        url = services.payment_start(payment=payment, return_url=return_url,
                                     actor=request.user)
    except ProviderUnavailable as error:
        messages.error(request, error.user_message)
        return redirect("payments:payment_detail", payment_id=payment.pk)
    except CityhallError as error:
        messages.error(request, error.message)
        return redirect("payments:payment_detail", payment_id=payment.pk)
    return redirect(url)


@login_required
@require_POST
def payment_cancel(request, payment_id):
    payment = own_payment(request.user, payment_id)
    try:
        services.payment_cancel(payment=payment, actor=request.user)
    except ProviderUnavailable as error:
        messages.error(request, error.user_message)
    except CityhallError as error:
        messages.error(request, error.message)
    return redirect("payments:payment_detail", payment_id=payment.pk)


def _receipt_response(payment):

    if payment.status not in ("captured", "partly_refunded", "refunded"):
        return None
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}.pdf"'
    return response


@login_required
@never_cache
def payment_receipt(request, payment_id):
    payment = own_payment(request.user, payment_id)
    response = _receipt_response(payment)
    if response is None:
        messages.error(request, _("A receipt is available once the payment is made."))
        return redirect("payments:payment_detail", payment_id=payment.pk)
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def sandbox(request, payment_id):
    """The demo's pretend card page (sandbox provider only)."""
    payment = own_payment(request.user, payment_id)
    if payment.provider != "sandbox":
        raise PermissionDeniedError()
    if request.method == "POST":
        try:
            services.sandbox_pay(payment=payment, outcome=request.POST.get("outcome", ""),
                                 actor=request.user)
        except CityhallError as error:
            messages.error(request, error.message)
        return redirect("payments:payment_detail", payment_id=payment.pk)
    return render(request, "payments/sandbox.html", {"payment": payment})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events. A body whose signature does not verify changes nothing."""
    try:
        event = PROVIDERS["stripe"].verify(request.body,
                                           request.headers.get("Stripe-Signature", ""))
    except ValueError:
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    result = services.stripe_event_apply(event)
    return HttpResponse(result, content_type="text/plain")


# --- staff -----------------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("payments.take_counter_payment")
def counter(request):
    if request.method == "POST":
        form = CounterPaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            fee = data["fee"]
            amount = fee.amount_yen * data["quantity"] if fee else data["amount_yen"]
            label = data["purpose_label"].strip() or (
                f"{fee.name_ja} × {data['quantity']}" if fee else "")
            try:
                payment = services.payment_take_at_counter(
                    purpose=f"payments.counter:{data['key']}", purpose_label=label,
                    amount_yen=amount, method=data["method"],
                    idempotency_key=f"counter:{data['key']}", fee=fee,
                    payer_name=data["payer_name"], actor=request.user)
            except CityhallError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               error.message)
            else:
                messages.success(request, _("The payment was recorded: receipt number "
                                            "%(reference)s.") % {"reference": payment.reference})
                return redirect("payments:staff_payment", payment_id=payment.pk)
        status = 400
    else:
        form = CounterPaymentForm(initial={"key": secrets.token_hex(16), "quantity": 1})
        status = 200
    return render(request, "payments/counter.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_permission_required("payments.view_payment")
def staff_payment(request, payment_id):
    if request.method == "POST" and not can(request.user, "payments.add_refund"):
        raise PermissionDeniedError()  # the page has no refund form for them to post
    payment = access_payment(request.user, payment_id)
    refund_form = RefundRequestForm(request.POST or None)
    if request.method == "POST" and refund_form.is_valid():
        try:
            services.refund_request(payment=payment,
                                    amount_yen=refund_form.cleaned_data["amount_yen"],
                                    reason=refund_form.cleaned_data["reason"],
                                    actor=request.user)
        except CityhallError as error:
            refund_form.add_error(error.field if error.field in refund_form.fields else None,
                                  error.message)
        else:
            messages.success(request, _("The refund was asked for. Another member of staff "
                                        "must approve it."))
            return redirect("payments:staff_payment", payment_id=payment.pk)
    return render(request, "payments/staff_payment.html", {
        "payment": payment, "refunds": payment.refunds.select_related("requested_by",
                                                                      "decided_by"),
        "refund_form": refund_form if can(request.user, "payments.add_refund") and
        payment.status in ("captured", "partly_refunded") else None,
        "decision_form": RefundDecisionForm() if can(request.user, "payments.approve_refund")
        else None},
        status=400 if refund_form.is_bound and not refund_form.is_valid() else 200)


@never_cache
@staff_permission_required("payments.view_payment")
def staff_receipt(request, payment_id):
    payment = access_payment(request.user, payment_id, purpose="print receipt")
    response = _receipt_response(payment)
    if response is None:
        messages.error(request, _("A receipt is available once the payment is made."))
        return redirect("payments:staff_payment", payment_id=payment.pk)
    return response


@require_POST
@staff_permission_required("payments.approve_refund")
def refund_decide(request, refund_id):
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None:
        raise Http404
    form = RefundDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
    else:
        try:
            services.refund_decide(refund=refund,
                                   approve=form.cleaned_data["decision"] == "approve",
                                   note=form.cleaned_data["note"], actor=request.user)
        except CityhallError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The decision was recorded."))
    return redirect("payments:staff_payment", payment_id=refund.payment_id)


@never_cache
@staff_permission_required("payments.view_reconciliation")
def reconciliation(request):
    form = ReconciliationForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "payments/reconciliation.html", {"form": form}, status=400)
    day = form.chosen_day() if form.is_bound else timezone.localdate()
    department = form.cleaned_data.get("department") if form.is_bound else ""
    provider = form.cleaned_data.get("provider") if form.is_bound else ""
    rows = selectors.reconciliation(day=day, department_code=department or None,
                                    provider=provider or None)
    export = request.GET.get("format")
    if export == "csv":
        encoding = request.GET.get("encoding", "utf-8")
        if encoding not in selectors.ENCODINGS:
            encoding = "utf-8"
        audit_record(actor=request.user, action="payments.reconciliation_export",
                     target_type="payments.payment",
                     details={"day": day.isoformat(), "rows": len(rows),
                              "department": department, "provider": provider})
        body = selectors.reconciliation_csv(rows, encoding=encoding)
        charset = "shift_jis" if encoding == "shift_jis" else "utf-8"
        response = HttpResponse(body, content_type=f"text/csv; charset={charset}")
        response["Content-Disposition"] = (
            f'attachment; filename="payments-{day:%Y%m%d}-{encoding}.csv"')
        return response
    refunds_waiting = Refund.objects.filter(status="requested").select_related(
        "payment", "requested_by") if can(request.user, "payments.approve_refund") else []
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "payments/reconciliation.html", {
        "form": form, "rows": rows, "totals": selectors.totals(rows), "day": day,
        "net": sum(row.amount_yen for row in rows), "refunds_waiting": refunds_waiting,
        "query": query.urlencode()})
