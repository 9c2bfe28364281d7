"""The e-mail connector against a real dovecot (IMAP) and an aiosmtpd sink (SMTP)."""

import email
import email.policy

import pytest

from comptoir.connectors.base import (
    Action,
    AuthenticationFailed,
    ConnectorError,
    OutboundMedia,
    OutboundPost,
    get_connector_class,
)
from comptoir.connectors.email import client as email_client
from comptoir.connectors.email.client import EmailConnector
from comptoir.connectors.email.tests.messages import BROKEN, THREAD, simple

pytestmark = pytest.mark.peers


def _sent(account, index=-1):
    envelope = account.sent[index]
    return envelope, email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_it_is_registered_with_read_publish_and_reply():
    assert get_connector_class("email") is EmailConnector
    assert {Action.READ, Action.PUBLISH, Action.REPLY} == set(EmailConnector.capabilities.actions)
    assert EmailConnector.capabilities.max_text_length is None


def test_it_reads_a_thread_then_only_what_is_new(account):
    account.append(*THREAD)
    connector = account.connector()

    first = connector.fetch(None)

    assert [i.external_id for i in first.items] == [
        "<root-1@example.test>",
        "<reply-2@comptoir.test>",
        "<reply-3@example.test>",
    ]
    assert {i.thread_external_id for i in first.items} == {"<root-1@example.test>"}
    assert [i.parent_external_id for i in first.items] == [
        "",
        "<root-1@example.test>",
        "<reply-2@comptoir.test>",
    ]
    assert first.items[0].title == "Réunion du jeudi"
    assert first.items[0].author.display_name == "Élodie Martin"
    assert first.items[0].raw["uid"] == 1 and first.items[0].raw["folder"] == "INBOX"
    assert first.has_more is False

    again = connector.fetch(first.cursor)
    assert again.items == [] and again.cursor == first.cursor

    account.append(simple("<later@example.test>"))
    later = connector.fetch(again.cursor)
    assert [i.external_id for i in later.items] == ["<later@example.test>"]


def test_reading_does_not_mark_mail_as_read(account):
    account.append(*THREAD)
    account.connector().fetch(None)
    with account.client() as client:
        client.select_folder("INBOX")
        assert all(
            b"\\Seen" not in f[b"FLAGS"] for f in client.fetch(client.search(["ALL"]), ["FLAGS"]).values()
        )


def test_it_reads_in_batches(account):
    account.append(*(simple(f"<m{i}@example.test>") for i in range(5)))
    connector = account.connector(batch_size=2)
    seen, cursor, rounds = [], None, 0
    while True:
        result = connector.fetch(cursor)
        seen += [i.external_id for i in result.items]
        cursor, rounds = result.cursor, rounds + 1
        if not result.has_more:
            break
    assert rounds == 3
    assert seen == [f"<m{i}@example.test>" for i in range(5)]


def test_a_new_uidvalidity_reads_the_folder_again_with_the_same_ids(account):
    account.append(*THREAD)
    connector = account.connector()
    first = connector.fetch(None)
    stale = {**first.cursor, "uidvalidity": first.cursor["uidvalidity"] + 1}
    again = connector.fetch(stale)
    assert [i.external_id for i in again.items] == [i.external_id for i in first.items]
    assert again.cursor == first.cursor


def test_broken_messages_never_sink_the_batch(account):
    account.append(*BROKEN.values(), simple("<after-the-junk@example.test>"))
    result = account.connector().fetch(None)
    assert len(result.items) == len(BROKEN) + 1
    by_title = {i.title: i for i in result.items}
    assert by_title["Résumé de la semaine"].text == "Sans charset déclaré"
    assert by_title["Charset lies"].text == "Déjà vu, ça va ?"
    assert result.items[-1].external_id == "<after-the-junk@example.test>"
    # INTERNALDATE stands in for a broken Date header.
    assert by_title["No id"].published_at is not None


def test_a_huge_message_is_read_only_partly(account, monkeypatch):
    monkeypatch.setattr(email_client, "MAX_FULL_FETCH_BYTES", 10_000)
    monkeypatch.setattr(email_client, "PARTIAL_FETCH_BYTES", 2_000)
    account.append(simple("<big@example.test>", body="Début. " + "x" * 50_000))
    (item,) = account.connector().fetch(None).items
    assert item.external_id == "<big@example.test>"
    assert item.raw["truncated"] is True and item.raw["size"] > 50_000
    assert item.text.startswith("Début.") and len(item.text) < 2_000


def test_it_replies_in_the_thread_and_keeps_a_copy_in_sent(account):
    account.append(*THREAD)
    connector = account.connector()
    connector.fetch(None)

    ref = connector.reply("<reply-3@example.test>", "Avec plaisir, à jeudi !", "reply-key-1")

    envelope, msg = _sent(account)
    assert envelope.rcpt_tos == ["elodie@example.test"]
    assert envelope.mail_from == account.user
    assert msg["Subject"] == "Re: Réunion du jeudi"
    assert msg["In-Reply-To"] == "<reply-3@example.test>"
    assert msg["References"].split() == [
        "<root-1@example.test>",
        "<reply-2@comptoir.test>",
        "<reply-3@example.test>",
    ]
    assert msg["Message-ID"] == ref.external_id == connector.message_id_for("reply-key-1")
    assert msg["From"].addresses[0].display_name == "Équipe Comptoir"
    assert msg.get_content().strip() == "Avec plaisir, à jeudi !"
    assert connector.find_published("reply-key-1") == ref.__class__(ref.external_id, raw={"folder": "Sent"})
    assert connector.find_published("another-key") is None


def test_replying_to_an_unknown_message_says_so(account):
    with pytest.raises(ConnectorError, match="no longer in the folder"):
        account.connector().reply("<gone@example.test>", "Bonjour", "k")
    with pytest.raises(ConnectorError, match="no Message-ID"):
        account.connector().reply("sha256:abc", "Bonjour", "k")
    assert account.sent == []


def test_it_publishes_an_email_with_a_stable_message_id(account):
    connector = account.connector()
    post = OutboundPost(
        text="Bonjour à toutes et à tous,\nvoici la lettre de mars.",
        title="Lettre de mars",
        link="https://comptoir.example/mars",
        media=(OutboundMedia("affiche.png", "image/png", b"\x89PNG\r\n\x1a\nfake"),),
        options={"to": ["Élodie <elodie@example.test>", "sam@example.test"], "cc": "cc@example.test"},
    )

    ref = connector.publish(post, "post-42")

    envelope, msg = _sent(account)
    assert sorted(envelope.rcpt_tos) == ["cc@example.test", "elodie@example.test", "sam@example.test"]
    assert msg["Subject"] == "Lettre de mars"
    assert msg["Message-ID"] == ref.external_id == connector.message_id_for("post-42")
    assert ref.external_id.endswith(f"@{account.user.split('@')[1]}>")
    body = msg.get_body(("plain",)).get_content()
    assert "voici la lettre de mars." in body and "https://comptoir.example/mars" in body
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "affiche.png"
    assert connector.message_id_for("post-42") == account.connector().message_id_for("post-42")
    assert connector.find_published("post-42").external_id == ref.external_id


def test_publishing_needs_a_recipient(account):
    with pytest.raises(ConnectorError, match="No recipient"):
        account.connector().publish(OutboundPost(text="Hi", title="Hi"), "k")
    with pytest.raises(ConnectorError, match="not a valid e-mail address"):
        account.connector().publish(OutboundPost(text="Hi", options={"to": "nobody"}), "k")


def test_check_connection_reports_success(account):
    check = account.connector().check_connection()
    assert check.ok, check.message
    assert check.account == account.user


def test_a_wrong_password_is_reported_for_both_servers(account):
    connector = account.connector(password="wrong")
    check = connector.check_connection()
    assert not check.ok
    assert "IMAP server 127.0.0.1 refused the user name or password ([AUTHENTICATIONFAILED]" in check.message
    assert "SMTP server 127.0.0.1 refused the user name or password" in check.message
    with pytest.raises(AuthenticationFailed):
        connector.fetch(None)
    with pytest.raises(AuthenticationFailed):
        connector.publish(OutboundPost(text="Hi", options={"to": "a@example.test"}), "k")


def test_an_unreachable_server_is_reported(account):
    from comptoir.connectors.testing import free_port

    connector = account.connector(imap_port=free_port())
    check = connector.check_connection()
    assert not check.ok
    assert "refused the connection" in check.message and "IMAP" in check.message
    assert "SMTP" not in check.message
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(None)
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("ssl", "the TLS handshake failed"), ("starttls", "does not offer STARTTLS")],
)
def test_a_tls_mismatch_is_reported(account, mode, reason):
    check = account.connector(imap_security=mode, smtp_security=mode).check_connection()
    assert not check.ok
    assert f"IMAP server 127.0.0.1:{account.imap.port}: {reason}".replace(": does", " does") in check.message
    assert f"SMTP server 127.0.0.1:{account.smtp.port}: {reason}".replace(": does", " does") in check.message


def test_a_missing_folder_is_reported(account):
    check = account.connector(folder="Archives/2024").check_connection()
    assert not check.ok
    assert check.message.startswith("The folder Archives/2024 cannot be opened")


def test_loopback_servers_are_refused_unless_allowed(account, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    connector = account.connector()
    with pytest.raises(ConnectorError, match="private or local network") as caught:
        connector.fetch(None)
    assert not caught.value.retryable
    check = connector.check_connection()
    assert not check.ok and "IMAP" in check.message and "SMTP" in check.message
    with pytest.raises(ConnectorError):
        connector.publish(OutboundPost(text="Hi", options={"to": "a@example.test"}), "k")
    assert account.sent == []
