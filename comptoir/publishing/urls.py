"""Publishing's pages. Each screen module under ``views/`` lists its own patterns; URL names start with ``publishing_``."""

from .views import approvals, calendar, delivery, links, media, postimport, posts, requests

urlpatterns = [
    *requests.urlpatterns,
    *posts.urlpatterns,
    *approvals.urlpatterns,
    *media.urlpatterns,
    *calendar.urlpatterns,
    *delivery.urlpatterns,
    *links.urlpatterns,
    *postimport.urlpatterns,
]
