"""Publishing screens: approvals (URL patterns gathered by ``publishing/urls.py``)."""

urlpatterns: list = []
