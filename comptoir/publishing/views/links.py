"""Publishing screens: links (URL patterns gathered by ``publishing/urls.py``)."""

urlpatterns: list = []
