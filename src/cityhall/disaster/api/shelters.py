"""API for shelters."""

from ninja import Router

router = Router(tags=["shelters"])
