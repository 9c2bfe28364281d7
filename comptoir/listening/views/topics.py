"""Listening screens: topics (URL patterns of this module are gathered by ``listening/urls.py``)."""

urlpatterns: list = []
