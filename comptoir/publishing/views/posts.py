"""Publishing screens: posts (URL patterns gathered by ``publishing/urls.py``)."""

urlpatterns: list = []
