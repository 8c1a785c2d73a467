"""The portal's URLs plus views that fail on purpose, to exercise the error handlers."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from cityhall.core.errors import NotFoundError, PermissionDeniedError, ValidationFailed
from cityhall.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def raises(exception):
    def view(request):
        raise exception

    return view


urlpatterns = [
    path("test-errors/400/", raises(SuspiciousOperation("bad"))),
    path("test-errors/403/", raises(PermissionDenied())),
    path("test-errors/404/", raises(Http404())),
    path("test-errors/500/", raises(RuntimeError("boom"))),
    path("test-errors/cityhall-400/", raises(ValidationFailed())),
    path("test-errors/cityhall-403/", raises(PermissionDeniedError())),
    path("test-errors/cityhall-404/", raises(NotFoundError())),
    *urlpatterns,
]
