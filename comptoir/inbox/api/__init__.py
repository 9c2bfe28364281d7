"""The inbox's REST API under /api/v1/workspaces/{slug}/inbox/…: each area module has its own router."""

from ninja import Router

from . import conversations, routing

router = Router()
router.add_router("", conversations.router)
router.add_router("", routing.router)
