"""Placeholder: filled in by the pages work."""

from django.http import Http404


def resource_list(request, **kwargs):
    raise Http404

def my_bookings(request, **kwargs):
    raise Http404

def bulky_waste_start(request, **kwargs):
    raise Http404

def booking_detail(request, **kwargs):
    raise Http404

def booking_ics(request, **kwargs):
    raise Http404

def booking_cancel(request, **kwargs):
    raise Http404

def booking_pay(request, **kwargs):
    raise Http404

def resource_detail(request, **kwargs):
    raise Http404

def booking_new(request, **kwargs):
    raise Http404

def self_checkin(request, **kwargs):
    raise Http404
