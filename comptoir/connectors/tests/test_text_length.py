"""``text_length``: how each network counts a post, the number the editor shows next to ``check_post``'s limit."""

from comptoir.connectors.base import OutboundPost
from comptoir.connectors.bluesky.client import BlueskyConnector
from comptoir.connectors.discourse.client import DiscourseConnector
from comptoir.connectors.mastodon.client import MastodonConnector

LINK = "https://velo.example/" + "a" * 100


def test_by_default_the_link_is_appended_and_code_points_are_counted():
    post = OutboundPost(text="Bonjour  ", link=LINK)
    assert DiscourseConnector().text_length(post) == len("Bonjour") + 2 + len(LINK)


def test_mastodon_counts_every_link_as_23_and_the_content_warning_too():
    connector = MastodonConnector(config={"base_url": "https://masto.example"})
    assert connector.text_length(OutboundPost(text="Bonjour", link=LINK)) == 7 + 2 + 23
    assert connector.text_length(OutboundPost(text="Bonjour", content_warning="politique")) == 7 + 9
    # The length check_post refuses is the same number.
    over = OutboundPost(text="x" * 480, link=LINK)
    assert connector.text_length(over) == 505 and "505" in connector.check_post(over)[0]


def test_bluesky_counts_graphemes_and_leaves_the_link_to_its_card():
    connector = BlueskyConnector()
    assert connector.text_length(OutboundPost(text="e\u0301" * 10 + " 👨‍👩‍👧", link=LINK)) == 12
