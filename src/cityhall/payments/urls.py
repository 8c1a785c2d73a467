from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("<uuid:payment_id>/", views.payment_detail, name="payment_detail"),
    path("<uuid:payment_id>/pay/", views.payment_pay, name="payment_pay"),
    path("<uuid:payment_id>/cancel/", views.payment_cancel, name="payment_cancel"),
    path("<uuid:payment_id>/receipt.pdf", views.payment_receipt, name="payment_receipt"),
    path("sandbox/<uuid:payment_id>/", views.sandbox, name="sandbox"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
    path("counter/", views.counter, name="counter"),
    path("staff/<uuid:payment_id>/", views.staff_payment, name="staff_payment"),
    path("staff/<uuid:payment_id>/receipt.pdf", views.staff_receipt, name="staff_receipt"),
    path("staff/refunds/<uuid:refund_id>/decide/", views.refund_decide, name="refund_decide"),
    path("staff/reconciliation/", views.reconciliation, name="reconciliation"),
]
