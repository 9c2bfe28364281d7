"""Publishing screens: requests (URL patterns gathered by ``publishing/urls.py``)."""

urlpatterns: list = []
