from django.urls import path

from .views import conversations

urlpatterns = [
    path("w/<slug:slug>/inbox/", conversations.inbox, name="inbox"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/", conversations.conversation, name="inbox_conversation"),
]
