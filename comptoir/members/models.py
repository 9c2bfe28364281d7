from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    """A member of the community, across all their accounts on every network."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="people")
    display_name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class Identity(models.Model):
    """One handle on one network (an author of items), linked to a Person when known."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="identities")
    network = models.CharField(_("network"), max_length=40)
    handle = models.CharField(_("handle"), max_length=300)
    display_name = models.CharField(_("display name"), max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="identities")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "network", "handle"], name="one_identity_per_handle")]
        ordering = ["network", "handle"]

    def __str__(self) -> str:
        return self.display_name or self.handle
