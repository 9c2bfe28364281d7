"""The inbox: routing screens."""

urlpatterns: list = []
