"""Listening screens: alerts (URL patterns of this module are gathered by ``listening/urls.py``)."""

urlpatterns: list = []
