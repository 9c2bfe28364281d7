"""REST API: calendar (routes gathered by ``publishing/api/__init__.py``)."""

from ninja import Router

router = Router(tags=["publishing"])
