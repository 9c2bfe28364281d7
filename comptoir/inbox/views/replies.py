"""The inbox: replies screens."""

urlpatterns: list = []
