"""What the editor and delivery learn from the e-mail connector's check_post before anything is sent."""

from comptoir.connectors.base import OutboundMedia, OutboundPost
from comptoir.connectors.email.client import EmailConnector

TO = {"to": ["adherents@asso.example"]}


def _check(**fields):
    return EmailConnector().check_post(OutboundPost(**{"text": "Bonjour à toutes et à tous", "title": "Lettre de mars",
                                                        "options": TO, **fields}))


def test_a_mail_with_recipient_subject_and_text_passes():
    assert _check() == []


def test_a_mail_needs_a_recipient_and_a_subject():
    assert _check(options={}) == ["No recipient: give at least one address in “To”."]
    assert _check(title="  ") == ["An e-mail needs a subject: fill in the title of this version."]
    assert _check(options={"to": ["nobody"]}) == ["“nobody” is not a valid e-mail address."]
    assert _check(options={"to": 12}) == ["No recipient: give at least one address in “To”."]
    assert "250" in _check(title="x" * 251)[0]


def test_attachments_follow_the_mail_rules():
    big = OutboundMedia("affiche.png", "image/png", bytes(11 * 1024 * 1024))
    assert _check(media=(big,)) == ["The image affiche.png is larger than 10 MB."]
    odd = OutboundMedia("tableur.xlsx", "application/vnd.ms-excel", b"x")
    assert "cannot be attached" in _check(media=(odd,))[0]
    many = tuple(OutboundMedia(f"{n}.png", "image/png", b"x") for n in range(21))
    assert _check(media=many) == ["Too many attachments: at most 20 images and 5 videos."]
