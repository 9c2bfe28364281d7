"""The posts list and every demo post open in the editor (the demo's posts are made by another part's code)."""

from django.urls import reverse

from comptoir import demo
from comptoir.conftest import client_for
from comptoir.publishing import posts
from comptoir.publishing.models import Post
from comptoir.workspaces.models import Membership
from comptoir.workspaces.roles import Role


def test_every_demo_post_opens_in_the_editor_with_its_checks_and_versions(db, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(posts, "check_link_alive", lambda url: None)  # the demo's links are on example domains
    demo.create()
    for slug in ("velo-lyon", "maison-lumiere"):
        cm = Membership.objects.filter(workspace__slug=slug, role=Role.MANAGER).first().user
        client = client_for(cm)
        assert client.get(reverse("publishing_posts", args=[slug])).status_code == 200
        assert client.get(reverse("publishing_posts", args=[slug]), {"export": "csv"}).status_code == 200
        for post in Post.objects.filter(workspace__slug=slug):
            for name in ("publishing_post", "publishing_post_preflight", "publishing_post_versions"):
                response = client.get(reverse(name, args=[slug, post.pk]))
                assert response.status_code == 200, (name, post.status)
