from django.urls import path

from . import hooks, views

urlpatterns = [
    path("hooks/webhook/<int:channel_id>/", hooks.receive, name="webhook_receive"),
    path("w/<slug:slug>/stream/", views.stream, name="stream"),
    path("w/<slug:slug>/stream/count/", views.stream_count, name="stream_count"),
    path("w/<slug:slug>/stream/items/<int:item_id>/correct/", views.item_correct, name="item_correct"),
    path("w/<slug:slug>/channels/<int:channel_id>/import/", views.channel_import, name="channel_import"),
    path("w/<slug:slug>/sources/", views.sources, name="sources"),
    path("w/<slug:slug>/sources/add/<str:network>/", views.source_add, name="source_add"),
    path("w/<slug:slug>/sources/<int:source_id>/", views.source_action, name="source_action"),
    path("w/<slug:slug>/sources/<int:source_id>/remove/", views.source_remove, name="source_remove"),
    path("w/<slug:slug>/sources/<int:source_id>/erase/", views.source_erase, name="source_erase"),
]
