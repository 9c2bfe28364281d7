"""Publishing screens: calendar (URL patterns gathered by ``publishing/urls.py``)."""

urlpatterns: list = []
