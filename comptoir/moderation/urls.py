"""Moderation's addresses: each screen module lists its own."""

from .views import charter, queue, rules, sanctions

urlpatterns = [*charter.urlpatterns, *queue.urlpatterns, *rules.urlpatterns, *sanctions.urlpatterns]
