"""Approvals: stages in order, who may decide where, changes requested with a comment, final approval (and
scheduling when the post has a date), an approved post changed again goes back to review; the approvers are told in
the app and by e-mail (through a real SMTP server on loopback)."""

import email
import email.policy
import threading
import warnings
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.conftest import membership_of
from comptoir.publishing import approvals
from comptoir.publishing.models import Approval, ApprovalStage, Post
from comptoir.workspaces.models import AuditEvent, Notification

from .requestdata import edit, post


@pytest.fixture
def circuit(workspace, cm, analyst):
    """CM first (any owner or manager), then the analyst as 'communication director'."""
    m = membership_of(cm, workspace)
    first = approvals.do_create_stage(m, "Community manager", [])
    second = approvals.do_create_stage(m, "Direction de la communication", [analyst.pk])
    return first, second


def test_without_stages_nothing_needs_approval(workspace, cm):
    p = post(workspace, cm)
    assert not approvals.needs_approval(workspace) and approvals.is_approved(p)
    with pytest.raises(ValidationError):
        approvals.do_submit(membership_of(cm, workspace), p)


def test_a_post_goes_through_the_stages_in_order(workspace, cm, owner, analyst, moderator, circuit):
    first, second = circuit
    p = post(workspace, cm)
    approvals.do_submit(membership_of(cm, workspace), p)
    p.refresh_from_db()
    assert (p.status, p.current_stage) == ("in_review", first)
    assert set(Notification.objects.filter(kind="approval.request").values_list("user__email", flat=True)) == {
        cm.email, owner.email}
    # The analyst is an approver of the second stage only; the moderator of none.
    assert not approvals.can_decide(membership_of(analyst, workspace), p)
    with pytest.raises(PermissionDenied):
        approvals.do_decide(membership_of(analyst, workspace), p, "approved")
    with pytest.raises(PermissionDenied):
        approvals.do_decide(membership_of(moderator, workspace), p, "approved")
    approvals.do_decide(membership_of(owner, workspace), p, "approved", "OK pour moi")
    p.refresh_from_db()
    assert (p.status, p.current_stage) == ("in_review", second)
    assert not approvals.can_decide(membership_of(cm, workspace), p)  # named approvers only at this stage
    assert Notification.objects.filter(kind="approval.request", user=analyst).exists()
    assert [pp.pk for pp in approvals.awaiting(membership_of(analyst, workspace))] == [p.pk]
    approvals.do_decide(membership_of(analyst, workspace), p, "approved")
    p.refresh_from_db()
    assert (p.status, p.approved_version, p.current_stage) == ("approved", p.version, None)
    assert approvals.is_approved(p)
    assert list(p.approvals.values_list("stage_name", "decision", "version")) == [
        ("Community manager", "approved", 1), ("Direction de la communication", "approved", 1)]
    assert Notification.objects.filter(kind="approval.approved", user=cm).exists()
    assert AuditEvent.objects.filter(action="post.approved").count() == 2


def test_requesting_changes_needs_a_comment_and_tells_the_author(workspace, cm, owner, circuit):
    p = post(workspace, cm)
    approvals.do_submit(membership_of(cm, workspace), p)
    for junk in ("", "  \n ", "x" * 5001):
        with pytest.raises(ValidationError):
            approvals.do_decide(membership_of(owner, workspace), p, "changes_requested", junk)
    with pytest.raises(ValidationError):
        approvals.do_decide(membership_of(owner, workspace), p, "maybe", "")
    approvals.do_decide(membership_of(owner, workspace), p, "changes_requested", "Le lien est cassé.")
    p.refresh_from_db()
    assert p.status == "changes_requested"
    note = Notification.objects.get(kind="approval.changes", user=cm)
    assert "Le lien est cassé." in note.message
    with pytest.raises(ValidationError):  # no longer in review
        approvals.do_decide(membership_of(owner, workspace), p, "approved")
    edit(p, "Portes ouvertes samedi, lien corrigé")
    approvals.do_submit(membership_of(cm, workspace), p)
    with translation.override("en"):
        diff = approvals.version_diff(Post.objects.get(pk=p.pk))
    assert ("+", "Text: Portes ouvertes samedi, lien corrigé") in diff
    assert ("-", "Text: Portes ouvertes samedi !") in diff


def test_an_approved_post_changed_again_goes_back_to_the_first_stage(workspace, cm, owner, analyst, circuit):
    first, _second = circuit
    p = post(workspace, cm)
    approvals.do_submit(membership_of(cm, workspace), p)
    approvals.do_decide(membership_of(owner, workspace), p, "approved")
    approvals.do_decide(membership_of(analyst, workspace), p, "approved")
    p.refresh_from_db()
    Notification.objects.all().delete()
    edit(p, "Nouveau texte")
    assert approvals.content_changed(p, cm)
    p.refresh_from_db()
    assert (p.status, p.current_stage, p.approved_version, p.version) == ("in_review", first, 1, 2)
    assert not approvals.is_approved(p)
    assert Notification.objects.filter(kind="approval.request", user=owner).exists()
    draft = post(workspace, cm)
    assert not approvals.content_changed(draft, cm)  # a draft is free to change


def test_a_scheduled_post_unscheduled_to_draft_by_its_change_goes_back_to_review(workspace, cm, circuit):
    """delivery.unschedule puts a scheduled post whose approval is stale back to draft before the editor calls us."""
    first, _second = circuit
    p = post(workspace, cm)
    Post.objects.filter(pk=p.pk).update(status=Post.Status.DRAFT, approved_version=1)
    p = edit(Post.objects.get(pk=p.pk), "Changé après programmation")
    assert approvals.content_changed(p, cm)
    p.refresh_from_db()
    assert (p.status, p.current_stage) == ("in_review", first)
    never = post(workspace, cm)
    edit(never, "Jamais validée")
    assert not approvals.content_changed(never, cm)


def test_the_final_approval_schedules_a_dated_post_when_delivery_exists(workspace, cm, owner, circuit, monkeypatch):
    import types

    scheduled = []
    fake = types.ModuleType("comptoir.publishing.delivery")
    fake.schedule = lambda p: scheduled.append(p.pk)
    monkeypatch.setitem(__import__("sys").modules, "comptoir.publishing.delivery", fake)
    first, second = circuit
    second.approvers.clear()
    p = post(workspace, cm, publish_at=timezone.now() + timedelta(days=2))
    approvals.do_submit(membership_of(cm, workspace), p)
    approvals.do_decide(membership_of(owner, workspace), p, "approved")
    assert scheduled == []
    approvals.do_decide(membership_of(owner, workspace), p, "approved")
    assert scheduled == [p.pk]


def test_preflight_errors_block_the_submission(workspace, cm, circuit, monkeypatch):
    import types

    problem = types.SimpleNamespace(severity="error", message="Texte trop long pour Bluesky")
    fake = types.ModuleType("comptoir.publishing.posts")
    fake.preflight = lambda p: [problem, types.SimpleNamespace(severity="warning", message="pas d'alt")]
    monkeypatch.setitem(__import__("sys").modules, "comptoir.publishing.posts", fake)
    p = post(workspace, cm)
    with pytest.raises(ValidationError) as exc:
        approvals.do_submit(membership_of(cm, workspace), p)
    assert "Texte trop long" in " ".join(exc.value.messages) and "pas d'alt" not in " ".join(exc.value.messages)
    p.refresh_from_db()
    assert p.status == "draft"


def test_stages_are_checked_reordered_and_deleted(workspace, other_workspace, cm, analyst, contributor, outsider,
                                                   circuit):
    first, second = circuit
    m = membership_of(cm, workspace)
    for name, approvers in (("", []), ("x" * 121, []), ("Juridique", [contributor.pk]), ("Juridique", [outsider.pk]),
                            ("Juridique", ["abc"]), ("Juridique", [10**30])):
        with pytest.raises(ValidationError):
            approvals.do_create_stage(m, name, approvers)
    approvals.do_move_stage(m, second, "up")
    assert [s.pk for s in approvals.stages(workspace)] == [second.pk, first.pk]
    p = post(workspace, cm)
    approvals.do_submit(m, p)
    p.refresh_from_db()
    assert p.current_stage == second
    approvals.do_delete_stage(m, second)
    p.refresh_from_db()
    assert p.current_stage == first  # moved on to the next stage
    with pytest.raises(PermissionDenied):
        approvals.do_delete_stage(membership_of(outsider, other_workspace), first)
    with pytest.raises(PermissionDenied):
        approvals.do_create_stage(membership_of(analyst, workspace), "Moi", [])
    approvals.do_delete_stage(m, first)
    p.refresh_from_db()
    assert (p.status, p.current_stage) == ("draft", None)


# Pages. ---------------------------------------------------------------------------------------------------

def test_the_stages_page_is_for_managers(workspace, cm, analyst, contributor, outsider, as_user, circuit):
    page = reverse("publishing_approval_stages", args=["velo"])
    assert as_user(cm).get(page).status_code == 200
    assert as_user(analyst).get(page).status_code == 403
    assert as_user(contributor).get(page).status_code == 403
    assert as_user(outsider).get(page).status_code == 404
    response = as_user(cm).post(page, {"name": "<script>x</script>", "approvers": ["999999999999999999999999"]})
    assert response.status_code == 400 and "<script>x</script>" not in response.content.decode()
    response = as_user(cm).post(page, {"name": "Juridique", "approvers": [str(analyst.pk)]})
    assert response.status_code == 302 and ApprovalStage.objects.filter(name="Juridique").exists()
    stage = ApprovalStage.objects.get(name="Juridique")
    delete = reverse("publishing_approval_stage_delete", args=["velo", stage.pk])
    assert "confirm-delete" in as_user(cm).get(delete).content.decode()
    assert as_user(outsider).post(delete).status_code == 404
    as_user(cm).post(delete)
    assert not ApprovalStage.objects.filter(name="Juridique").exists()


def test_the_awaiting_page_and_the_decision_form(workspace, cm, owner, analyst, contributor, outsider, as_user, circuit):
    p = post(workspace, cm, title="Annonce AG")
    approvals.do_submit(membership_of(cm, workspace), p)
    awaiting = reverse("publishing_approvals_awaiting", args=["velo"])
    body = as_user(owner).get(awaiting).content.decode()
    assert "Annonce AG" in body and 'data-testid="approve"' in body
    assert "Annonce AG" not in as_user(analyst).get(awaiting).content.decode()
    assert as_user(contributor).get(awaiting).status_code == 403
    decide = reverse("publishing_post_decide", args=["velo", p.pk])
    assert as_user(outsider).post(decide, {"decision": "approved"}).status_code == 404
    assert as_user(analyst).post(decide, {"decision": "approved"}).status_code == 403
    response = as_user(owner).post(decide, {"decision": "changes_requested", "comment": ""}, follow=True)
    assert "alert-danger" in response.content.decode()
    as_user(owner).post(decide, {"decision": "approved", "next": "//evil.test/"})
    assert Approval.objects.get().decided_by == owner
    assert as_user(analyst).post(decide, {"decision": "approved"}).status_code == 302
    p.refresh_from_db()
    assert p.status == "approved"


def test_the_approval_partial_renders_history_and_form(workspace, cm, owner, circuit, rf):
    from django.template.loader import render_to_string

    p = post(workspace, cm, title="Annonce AG")
    approvals.do_submit(membership_of(cm, workspace), p)
    approvals.do_decide(membership_of(owner, workspace), p, "approved", "Parfait")
    request = rf.get("/")
    request.user = cm
    html = render_to_string("publishing/_approval.html", {"post": Post.objects.get(pk=p.pk),
                                                          "membership": membership_of(cm, workspace)}, request=request)
    assert "Parfait" in html and 'data-testid="approval-history"' in html
    assert 'data-testid="approve"' not in html  # the cm is not an approver of the second stage


# E-mail, through a real SMTP server. ----------------------------------------------------------------------

class _Controller(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        controller = _Controller(inbox, hostname="127.0.0.1", port=0)
        controller.start()
    mailers = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                           "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5}}}
    tasks = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    with override_settings(MAILERS=mailers, TASKS=tasks, BASE_URL="https://comptoir.example"):
        yield inbox
    controller.stop()


def test_the_approvers_get_an_email_in_their_language(workspace, cm, owner, analyst, circuit, smtp,
                                                      django_capture_on_commit_callbacks):
    analyst.language = "en"
    analyst.save()
    first, second = circuit
    first.approvers.set([analyst.pk])
    p = post(workspace, cm, title="Annonce AG")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.do_submit(membership_of(cm, workspace), p)
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == [analyst.email]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "Annonce AG" in message["Subject"] and "awaits your approval" in message["Subject"]
    assert "https://comptoir.example/" in message.get_body().get_content()


def test_what_the_approver_reads_names_channels_and_media_never_ids_or_empty_fields(workspace, cm, owner, circuit):
    from comptoir.publishing import posts
    from comptoir.publishing.models import MediaAsset

    from .requestdata import channel

    masto = channel(workspace, label="Mastodon des Amis")
    poster = MediaAsset.objects.create(workspace=workspace, file="media/x/affiche.png", filename="affiche.png",
                                       kind=MediaAsset.Kind.IMAGE, content_type="image/png", size=1200, alt_text="Affiche")
    p = posts.do_save_post(membership_of(cm, workspace), None, {
        "master_text": "Atelier samedi", "variants": [{"channel": masto.pk, "text": "Atelier samedi, version Mastodon",
                                                       "media": [poster.pk]}]})
    approvals.do_submit(membership_of(cm, workspace), p)
    with translation.override("en"):
        lines = [line for _op, line in approvals.version_diff(Post.objects.get(pk=p.pk))]
    assert "Text: Atelier samedi" in lines
    assert "Mastodon des Amis · Text: Atelier samedi, version Mastodon" in lines
    assert "Mastodon des Amis · Media 1: affiche.png" in lines
    assert not [line for line in lines if line.endswith(": ") or "channel" in line or line.endswith(f": {masto.pk}")], lines
