"""The project's URLs plus views that fail, for the error-page tests."""

from django.urls import path

from comptoir.urls import handler403, handler404, handler500  # noqa: F401
from comptoir.urls import urlpatterns as project_urlpatterns


def raising_view(request):
    raise RuntimeError("boom")


urlpatterns = [path("raising/", raising_view), *project_urlpatterns]
