"""The disaster API under /api/v1/disaster/, one router per subject."""

from ninja import Router

from . import alerts, shelters

router = Router(tags=["disaster"])
router.add_router("/shelters/", shelters.router)
router.add_router("/alerts/", alerts.router)
