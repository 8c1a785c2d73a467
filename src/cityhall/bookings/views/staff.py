"""Placeholder: filled in by the pages work."""

from django.http import Http404


def staff_home(request, **kwargs):
    raise Http404

def staff_checkin(request, **kwargs):
    raise Http404

def staff_slot(request, **kwargs):
    raise Http404

def staff_slot_close(request, **kwargs):
    raise Http404

def staff_slot_reopen(request, **kwargs):
    raise Http404

def staff_book_on_behalf(request, **kwargs):
    raise Http404

def staff_booking(request, **kwargs):
    raise Http404

def staff_calendar(request, **kwargs):
    raise Http404

def staff_closure_new(request, **kwargs):
    raise Http404

def staff_export(request, **kwargs):
    raise Http404
