"""The inbox API: routing."""

from ninja import Router

router = Router(tags=["inbox"])
