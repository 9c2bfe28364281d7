"""The inbox API: conversations."""

from ninja import Router

router = Router(tags=["inbox"])
