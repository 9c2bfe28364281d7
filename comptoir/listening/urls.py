"""Listening's pages. Each screen module under ``views/`` lists its own patterns; URL names start with ``listening_``."""

from .views import alerts, curation, dashboard, incidents, mentions, topics

urlpatterns = [
    *topics.urlpatterns,
    *mentions.urlpatterns,
    *dashboard.urlpatterns,
    *alerts.urlpatterns,
    *incidents.urlpatterns,
    *curation.urlpatterns,
]
