"""Publishing screens: media (URL patterns gathered by ``publishing/urls.py``)."""

urlpatterns: list = []
