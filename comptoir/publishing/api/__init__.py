"""Publishing's REST API under /api/v1/workspaces/{slug}/…: each area module has its own router."""

from ninja import Router

from . import calendar, posts, requests

router = Router()
router.add_router("", requests.router)
router.add_router("", posts.router)
router.add_router("", calendar.router)
