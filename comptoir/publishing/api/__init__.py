"""Publishing's REST API under /api/v1/workspaces/{slug}/…: each area module has its own router."""

from ninja import Router

from . import calendar, media, posts, requests

router = Router()
router.add_router("", requests.router)
router.add_router("", posts.router)
router.add_router("", calendar.router)
router.add_router("", media.router)
