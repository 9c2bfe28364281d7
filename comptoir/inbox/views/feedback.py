"""The inbox: feedback screens."""

urlpatterns: list = []
