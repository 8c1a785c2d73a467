"""Template context shared by every page."""

from .selectors import current_municipality


def municipality(request):
    return {"municipality": current_municipality()}
