"""The bell and the notifications page: a member's own notifications of the current workspace, mark one or all read,
alarms in red; nobody else's notifications, ever."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from comptoir.conftest import membership_of
from comptoir.lib.i18n import gettext
from comptoir.workspaces.context_processors import shell
from comptoir.workspaces.models import Notification
from comptoir.workspaces.notifications import notify


def _notes(workspace, user, n=3, alarm=False):
    return [notify(workspace.pk, [user], "test", gettext("Something needs you: %(what)s") % {"what": f"n°{k}"},
                   url="/w/velo/", email=False, is_alarm=alarm)[0] for k in range(n)]


def _render_bell(user, workspace):
    request = RequestFactory().get("/w/velo/")
    request.user = user
    request.membership = membership_of(user, workspace)
    context = shell(request)
    return render_to_string("workspaces/_bell.html", context, request=request)


def test_the_bell_counts_my_unread_notifications_and_lists_the_latest(workspace, cm, owner):
    _notes(workspace, cm, 3)
    _notes(workspace, owner, 5)
    html = _render_bell(cm, workspace)
    assert 'data-testid="bell-count">3<' in html
    assert html.count("Something needs you") == 3 and "n°2" in html
    assert "text-bg-danger" not in html
    _notes(workspace, cm, 1, alarm=True)
    html = _render_bell(cm, workspace)
    assert 'data-testid="bell-count">4<' in html and "text-bg-danger" in html and "text-danger" in html


def test_an_empty_bell_says_so(workspace, analyst):
    html = _render_bell(analyst, workspace)
    assert "bell-count" not in html and 'data-testid="bell-empty"' in html


def test_the_bell_shows_only_the_current_workspace(workspace, other_workspace, cm, outsider):
    Notification.objects.create(workspace=other_workspace, user=cm, kind="x", message_code="Elsewhere")
    assert "bell-count" not in _render_bell(cm, workspace)


def test_the_page_lists_marks_one_and_all_read(workspace, cm, as_user):
    ids = _notes(workspace, cm, 3)
    client = as_user(cm)
    page = client.get(reverse("notifications", args=["velo"]))
    assert page.status_code == 200 and page.content.decode().count('data-testid="note"') == 3
    response = client.post(reverse("notification_read", args=["velo", ids[0]]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "note-read" not in response.content.decode()
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    assert client.get(reverse("notifications", args=["velo"]) + "?show=unread").content.decode().count(
        'data-testid="note"') == 2
    response = client.post(reverse("notifications_read_all", args=["velo"]), {"next": "https://evil.test/"})
    assert response.status_code == 302 and response["Location"] == reverse("notifications", args=["velo"])
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_opening_a_notification_marks_it_read_and_goes_to_its_page_on_this_site(workspace, cm, as_user):
    [good] = notify(workspace.pk, [cm], "t", "x", url="/w/velo/activity/", email=False)
    [evil] = notify(workspace.pk, [cm], "t2", "y", url="https://evil.test/phish", email=False)
    [sneaky] = notify(workspace.pk, [cm], "t3", "z", url="//evil.test/phish", email=False)
    client = as_user(cm)
    assert client.get(reverse("notification_open", args=["velo", good])).headers["Location"] == "/w/velo/activity/"
    for note in (evil, sneaky):
        assert client.get(reverse("notification_open", args=["velo", note])).headers["Location"] == reverse(
            "notifications", args=["velo"])
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize("name", ["notification_read", "notification_open"])
def test_nobody_reads_anyone_elses_notifications(workspace, other_workspace, cm, owner, outsider, as_user, name):
    [theirs] = notify(workspace.pk, [owner], "t", "x", email=False)
    client = as_user(cm)
    method = client.post if name == "notification_read" else client.get
    assert method(reverse(name, args=["velo", theirs])).status_code == 404
    assert method(reverse(name, args=["velo", 10**12])).status_code == 404
    assert as_user(outsider).get(reverse("notifications", args=["velo"])).status_code == 404
    assert as_user(outsider).post(reverse("notifications_read_all", args=["velo"])).status_code == 404
    assert Notification.objects.get(pk=theirs).read_at is None


def test_every_member_has_the_page_contributor_included(workspace, contributor, as_user):
    assert as_user(contributor).get(reverse("notifications", args=["velo"])).status_code == 200
