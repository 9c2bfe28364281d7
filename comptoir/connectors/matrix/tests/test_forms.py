"""Connecting a Matrix account: what the community manager types, including hostile input."""

from __future__ import annotations

import pytest

from comptoir.connectors.matrix.forms import ConnectForm

VALID = {
    "homeserver": "https://matrix.org",
    "user_id": "@comptoir:matrix.org",
    "access_token": "syt_Y29tcHRvaXI_abcdefghij_0123",
    "rooms": "#accueil:matrix.org\n!AbCdEf0123:matrix.org",
    "reply_style": "thread",
}


def form(**changes):
    data = {**VALID, **changes}
    return ConnectForm(data={k: v for k, v in data.items() if v is not None})


def test_a_complete_form_gives_config_credentials_and_handle():
    f = form(publish_room="#annonces:matrix.org")

    assert f.is_valid(), f.errors
    assert f.get_config() == {
        "homeserver": "https://matrix.org",
        "user_id": "@comptoir:matrix.org",
        "rooms": ["#accueil:matrix.org", "!AbCdEf0123:matrix.org"],
        "reply_style": "thread",
        "publish_room": "#annonces:matrix.org",
    }
    assert f.get_credentials() == {"access_token": "syt_Y29tcHRvaXI_abcdefghij_0123"}
    assert f.get_handle() == "@comptoir:matrix.org"


def test_rooms_accept_share_links_new_style_ids_and_duplicates():
    f = form(homeserver="Matrix.Example.org", rooms="https://matrix.to/#/#accueil:example.org?via=example.org\n"
             "!Q7b3xYk0hM_abc-def\n#accueil:example.org, ")

    assert f.is_valid(), f.errors
    assert f.get_config()["homeserver"] == "https://matrix.example.org"
    assert f.get_config()["rooms"] == ["#accueil:example.org", "!Q7b3xYk0hM_abc-def"]


@pytest.mark.parametrize(
    "homeserver",
    ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://matrix.org", "https://u:p@matrix.org",
     "https://matrix.org/_matrix/client", "https://", "", "https://matrix.org:0x50", "https://" + "a" * 300],
)
def test_a_hostile_or_wrong_homeserver_is_refused(homeserver):
    f = form(homeserver=homeserver)

    assert not f.is_valid()
    assert "homeserver" in f.errors


@pytest.mark.parametrize("user_id", ["", "comptoir", "@comptoir", "comptoir:matrix.org", "<script>@x:y</script>",
                                     "@a b:matrix.org", "@x:javascript:alert(1)", "@" + "a" * 300 + ":x.org"])
def test_a_wrong_matrix_id_is_refused(user_id):
    f = form(user_id=user_id)

    assert not f.is_valid()
    assert "user_id" in f.errors


@pytest.mark.parametrize("rooms", ["", "   \n ", "accueil", "<img src=x onerror=alert(1)>", "#accueil",
                                   "javascript:alert(1)", "\n".join(f"#r{i}:x.org" for i in range(21)), "#a:b" * 2000])
def test_rooms_must_be_room_addresses_or_ids(rooms):
    f = form(rooms=rooms)

    assert not f.is_valid()
    assert "rooms" in f.errors


@pytest.mark.parametrize("token", ["", "court", "avec des espaces", "<script>", "x" * 1100])
def test_a_token_that_cannot_be_one_is_refused(token):
    f = form(access_token=token)

    assert not f.is_valid()
    assert "access_token" in f.errors


def test_an_unknown_reply_style_is_refused():
    f = form(reply_style="<b>thread</b>")

    assert not f.is_valid()
    assert "reply_style" in f.errors


def test_the_token_is_never_shown_back():
    f = form(access_token="syt_secret_secret_secret")

    assert "syt_secret_secret_secret" not in str(f["access_token"])
