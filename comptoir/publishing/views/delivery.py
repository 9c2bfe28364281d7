"""Publishing screens: delivery (URL patterns gathered by ``publishing/urls.py``)."""

urlpatterns: list = []
