"""Moderation's REST API under /api/v1/workspaces/{slug}/moderation/…"""

from ninja import Router

from . import cases, charter, rules, sanctions

router = Router()
router.add_router("", rules.router)
router.add_router("", cases.router)
router.add_router("", sanctions.router)
router.add_router("", charter.router)
