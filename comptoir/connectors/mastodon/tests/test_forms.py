"""Connecting a Mastodon account: what the community manager types, including hostile input."""

from __future__ import annotations

import pytest

from comptoir.connectors.mastodon.forms import ConnectForm

VALID = {"handle": "@comptoir@mastodon.social", "access_token": "AbCdEf0123456789_-xyz", "streams": ["home", "mentions"]}


def form(**changes):
    data = {**VALID, **changes}
    return ConnectForm(data={k: v for k, v in data.items() if v is not None})


def test_a_full_address_is_enough_the_server_comes_from_it():
    f = form()

    assert f.is_valid(), f.errors
    assert f.get_handle() == "@comptoir@mastodon.social"
    assert f.get_config() == {
        "server": "https://mastodon.social",
        "handle": "@comptoir@mastodon.social",
        "streams": ["home", "mentions"],
        "hashtags": [],
    }
    assert f.get_credentials() == {"access_token": "AbCdEf0123456789_-xyz"}


def test_a_server_without_scheme_gets_https_and_hashtags_are_cleaned():
    f = form(handle="Comptoir@Example.ORG", server="Social.Example.org/", hashtags="#Café, barista  #café")

    assert f.is_valid(), f.errors
    assert f.get_handle() == "@Comptoir@example.org"
    assert f.get_config()["server"] == "https://social.example.org"
    assert f.get_config()["hashtags"] == ["Café", "barista"]


@pytest.mark.parametrize(
    "server",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://mastodon.social",
        "file:///etc/passwd",
        "https://user:pass@mastodon.social",
        "https://mastodon.social/@comptoir",
        "https://mastodon.social/?q=1",
        "https://",
        "https://mastodon.social:99999",
        "<b>mastodon.social</b>",
        "https://" + "a" * 300 + ".org",
    ],
)
def test_a_hostile_or_wrong_server_address_is_refused(server):
    f = form(server=server)

    assert not f.is_valid()
    assert "server" in f.errors


@pytest.mark.parametrize(
    "handle",
    ["", "comptoir", "@comptoir", "<script>alert(1)</script>@x.org", "@a b@mastodon.social", "@x@javascript:alert(1)",
     "@" + "a" * 300 + "@mastodon.social", ["@comptoir@mastodon.social", "@x@y.org"]],
)
def test_a_handle_without_server_or_with_markup_is_refused(handle):
    f = form(handle=handle)

    assert not f.is_valid()
    assert "handle" in f.errors


@pytest.mark.parametrize("token", ["", "short", "has spaces in it", "<script>alert(1)</script>", "x" * 600, "jeton\x00nul"])
def test_a_token_that_cannot_be_one_is_refused(token):
    f = form(access_token=token)

    assert not f.is_valid()
    assert "access_token" in f.errors


@pytest.mark.parametrize("hashtags", ["<b>cafe</b>", "#ca fé!", " ".join(f"t{i}" for i in range(11)), "x" * 2000])
def test_hashtags_must_be_words(hashtags):
    f = form(hashtags=hashtags)

    assert not f.is_valid()
    assert "hashtags" in f.errors


def test_an_unknown_stream_is_refused():
    f = form(streams=["home", "admin"])

    assert not f.is_valid()
    assert "streams" in f.errors


def test_the_token_is_never_shown_back():
    f = form(access_token="secret-secret-secret")

    assert "secret-secret-secret" not in str(f["access_token"])
