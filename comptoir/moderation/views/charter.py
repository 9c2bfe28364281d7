"""Moderation: charter screens."""

urlpatterns: list = []
