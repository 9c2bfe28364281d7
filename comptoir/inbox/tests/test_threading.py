from comptoir.connectors.base import ItemKind
from comptoir.inbox.models import Conversation, ConversationItem, Event
from comptoir.inbox.threading import thread_items
from comptoir.stream.models import Item

from .conftest import bring, message


def test_a_mention_starts_a_conversation_with_its_labels(channel):
    bring(channel, message("1", "Bonjour, comment adhérer à l'association ?", kind=ItemKind.POST))
    conversation = Conversation.objects.get()
    assert conversation.workspace_id == channel.workspace_id
    assert conversation.channel == channel
    assert conversation.status == "open" and conversation.unread
    assert conversation.message_count == 1
    assert conversation.waiting_since is not None
    assert conversation.identity.handle == "lea@masto.example"
    assert conversation.subject.startswith("Bonjour, comment adhérer")
    assert conversation.language == "fr"
    assert conversation.sort_key == Item.objects.get().sort_key


def test_an_answer_to_a_message_joins_its_conversation(channel):
    bring(channel, message("1", "Question sur la cotisation", kind=ItemKind.POST))
    bring(channel, message("2", "Merci pour la réponse, et pour les enfants ?", parent="1", minutes=5))
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().message_count == 2


def test_two_people_commenting_our_post_are_two_conversations(channel):
    bring(channel, message("10", "Super atelier !", parent="our-post", who="lea@masto.example"),
          message("11", "Il reste des places ?", parent="our-post", who="tom@masto.example", minutes=1))
    assert Conversation.objects.count() == 2
    bring(channel, message("12", "Et à quelle heure ?", parent="our-post", who="tom@masto.example", minutes=2))
    tom = Conversation.objects.get(identity__handle="tom@masto.example")
    assert tom.message_count == 2


def test_an_email_thread_is_one_conversation(workspace):
    from comptoir.workspaces.models import Channel

    mail = Channel.objects.create(workspace=workspace, network="email", handle="contact@velo.example", label="Contact")
    bring(mail, message("<a@x>", "Demande d'adhésion", kind=ItemKind.EMAIL, thread="<a@x>", who="lea@x.example"),
          message("<b@x>", "Complément", kind=ItemKind.EMAIL, thread="<a@x>", parent="<a@x>", who="lea@x.example", minutes=3))
    conversation = Conversation.objects.get()
    assert conversation.kind == "email" and conversation.message_count == 2


def test_our_own_post_starts_nothing_and_our_answer_on_the_network_means_answered(channel):
    bring(channel, message("our-post", "Atelier samedi", who="velo@masto.example", kind=ItemKind.POST))
    assert not Conversation.objects.exists()
    bring(channel, message("20", "Je viens !", parent="our-post", minutes=1))
    conversation = Conversation.objects.get()
    assert conversation.waiting_since is not None
    bring(channel, message("21", "Avec plaisir", parent="20", who="velo@masto.example", minutes=2))
    conversation.refresh_from_db()
    assert conversation.waiting_since is None and conversation.first_replied_at is not None
    assert ConversationItem.objects.filter(conversation=conversation, inbound=False).count() == 1
    assert conversation.message_count == 1


def test_a_closed_conversation_reopens_when_the_member_writes_again(channel):
    bring(channel, message("1", "Bonjour", kind=ItemKind.POST))
    Conversation.objects.update(status="closed", waiting_since=None)
    bring(channel, message("2", "Encore moi", parent="1", minutes=10))
    conversation = Conversation.objects.get()
    assert conversation.status == "open" and conversation.waiting_since is not None
    assert Event.objects.filter(conversation=conversation, kind="reopened").exists()


def test_threading_twice_changes_nothing(channel):
    ids = bring(channel, message("1", "Bonjour", kind=ItemKind.POST))
    thread_items(ids)
    assert Conversation.objects.get().message_count == 1
    assert ConversationItem.objects.count() == 1


def test_listening_sources_do_not_fill_the_inbox(workspace):
    from comptoir.stream.ingest import store_fetched
    from comptoir.stream.models import Source
    from comptoir.stream.tasks import analyse_items

    feed = Source.objects.create(workspace=workspace, network="rss", label="Blog", config={"url": "https://x.example/feed"})
    stored = store_fetched(feed, [message("1", "Un article", kind=ItemKind.ARTICLE)])
    analyse_items.call(stored.item_ids, fast=True)
    assert not Conversation.objects.exists()
    thread_items(stored.item_ids, force=True)  # a person sends it to the inbox
    assert Conversation.objects.count() == 1
