"""What the editor and delivery learn from Discourse's check_post before anything is sent."""

from comptoir.connectors.base import OutboundMedia, OutboundPost
from comptoir.connectors.discourse.client import DiscourseConnector

TEXT = "Assemblée générale le 12 mars à la Maison des associations."


def _forum(**config):
    return DiscourseConnector(config={"base_url": "https://forum.example", **config}, credentials={})


def test_a_topic_with_a_good_title_and_text_passes():
    assert _forum().check_post(OutboundPost(text=TEXT, title="Assemblée générale 2027")) == []


def test_a_new_topic_needs_a_title_of_the_forums_minimum_length():
    assert _forum().check_post(OutboundPost(text=TEXT)) == ["A new Discourse topic needs a title."]
    [problem] = _forum().check_post(OutboundPost(text=TEXT, title="AG"))
    assert "2 characters long" in problem and "at least 15" in problem
    assert _forum(min_topic_title_length=2).check_post(OutboundPost(text=TEXT, title="AG")) == []
    [problem] = _forum().check_post(OutboundPost(text=TEXT, title="x" * 256))
    assert "255" in problem


def test_a_reply_in_an_existing_topic_needs_no_title():
    assert _forum().check_post(OutboundPost(text=TEXT, options={"topic_id": 7})) == []


def test_a_text_shorter_than_the_minimum_is_refused_with_its_length():
    [problem] = _forum().check_post(OutboundPost(text="Trop court", title="Assemblée générale 2027"))
    assert "10 characters long" in problem and "at least 20" in problem
    # The link is part of the post Discourse receives.
    assert _forum().check_post(OutboundPost(text="Court", link="https://asso.example/ag",
                                            title="Assemblée générale 2027")) == []


def test_media_and_an_empty_text_are_refused():
    problems = _forum().check_post(OutboundPost(text=" ", title="Assemblée générale 2027",
                                                media=(OutboundMedia("a.png", "image/png", b"x"),)))
    assert any("cannot attach files" in p for p in problems)
    assert _forum().check_post(OutboundPost(text="", title="Assemblée générale 2027")) == ["The text is empty."]
