from django.urls import path

from . import views

urlpatterns = [
    path("w/<slug:slug>/stream/", views.stream, name="stream"),
    path("w/<slug:slug>/sources/", views.sources, name="sources"),
    path("w/<slug:slug>/sources/add/<str:network>/", views.source_add, name="source_add"),
    path("w/<slug:slug>/sources/<int:source_id>/", views.source_action, name="source_action"),
]
