"""The inbox's addresses: each screen module lists its own."""

from .views import conversations, feedback, replies, routing

urlpatterns = [*conversations.urlpatterns, *replies.urlpatterns, *routing.urlpatterns, *feedback.urlpatterns]
