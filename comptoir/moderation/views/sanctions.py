"""Moderation: sanctions screens."""

urlpatterns: list = []
