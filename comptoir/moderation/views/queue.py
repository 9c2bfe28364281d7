"""Moderation: queue screens."""

urlpatterns: list = []
