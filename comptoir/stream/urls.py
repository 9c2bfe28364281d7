from django.urls import path

from . import fil, hooks, views

urlpatterns = [
    path("hooks/webhook/<int:channel_id>/", hooks.receive, name="webhook_receive"),
    *fil.FIL.urlpatterns("w/<slug:slug>/stream/"),
    path("w/<slug:slug>/stream/badge/", fil.badge, name="stream_badge"),
    path("w/<slug:slug>/stream/items/<int:item_id>/correct/", fil.item_correct, name="item_correct"),
    path("w/<slug:slug>/stream/items/<int:item_id>/review/", fil.item_review, name="item_review"),
    path("w/<slug:slug>/stream/items/<int:item_id>/tag/", fil.item_tag, name="item_tag"),
    path("w/<slug:slug>/channels/<int:channel_id>/import/", views.channel_import, name="channel_import"),
    path("w/<slug:slug>/sources/", views.sources, name="sources"),
    path("w/<slug:slug>/sources/add/<str:network>/", views.source_add, name="source_add"),
    path("w/<slug:slug>/sources/<int:source_id>/", views.source_action, name="source_action"),
    path("w/<slug:slug>/sources/<int:source_id>/remove/", views.source_remove, name="source_remove"),
    path("w/<slug:slug>/sources/<int:source_id>/erase/", views.source_erase, name="source_erase"),
]
