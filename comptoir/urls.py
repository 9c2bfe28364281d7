from django.urls import include, path

from comptoir.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("comptoir.stream.urls")),
    path("", include("comptoir.listening.urls")),
    path("", include("comptoir.publishing.urls")),
    path("", include("comptoir.inbox.urls")),
    path("", include("comptoir.moderation.urls")),
    path("", include("comptoir.workspaces.urls")),
]

handler403 = "comptoir.errors.forbidden"
handler404 = "comptoir.errors.not_found"
handler500 = "comptoir.errors.server_error"
