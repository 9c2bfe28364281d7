"""Moderation: rules screens."""

urlpatterns: list = []
