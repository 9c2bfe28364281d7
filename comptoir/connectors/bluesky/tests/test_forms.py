"""Connecting a Bluesky account: what the community manager types, including hostile input."""

from __future__ import annotations

import pytest

from comptoir.connectors.bluesky.forms import ConnectForm

VALID = {"handle": "comptoir.bsky.social", "app_password": "abcd-efgh-ijkl-mnop", "streams": ["posts", "notifications"]}


def form(**changes):
    data = {**VALID, **changes}
    return ConnectForm(data={k: v for k, v in data.items() if v is not None})


def test_a_handle_and_an_app_password_are_enough():
    f = form()

    assert f.is_valid(), f.errors
    assert f.get_config() == {
        "service": "https://bsky.social",
        "handle": "comptoir.bsky.social",
        "streams": ["posts", "notifications"],
        "searches": [],
    }
    assert f.get_credentials() == {"app_password": "abcd-efgh-ijkl-mnop"}
    assert f.get_handle() == "@comptoir.bsky.social"


def test_a_self_hosted_server_and_searches_are_cleaned():
    f = form(handle="@Comptoir.FR", service="PDS.example.org", app_password="ABCD-efgh-1234-mnop",
             searches="  comptoir   café \n#barista\n\ncomptoir café")

    assert f.is_valid(), f.errors
    assert f.get_handle() == "@comptoir.fr"
    assert f.get_config()["service"] == "https://pds.example.org"
    assert f.get_config()["searches"] == ["comptoir café", "#barista"]
    assert f.get_credentials() == {"app_password": "abcd-efgh-1234-mnop"}


@pytest.mark.parametrize(
    "service",
    ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://bsky.social", "https://a:b@bsky.social",
     "https://bsky.social/profile/x", "https://", "https://bsky.social:70000", "https://" + "a" * 300],
)
def test_a_hostile_or_wrong_server_is_refused(service):
    f = form(service=service)

    assert not f.is_valid()
    assert "service" in f.errors


@pytest.mark.parametrize("handle", ["", "comptoir", "<script>alert(1)</script>", "a b.bsky.social", "comptoir.local",
                                    "javascript:alert(1)", "x." * 200 + "com", ["comptoir.bsky.social"] * 2])
def test_a_handle_that_is_not_a_domain_is_refused(handle):
    f = form(handle=handle)

    assert not f.is_valid()
    assert "handle" in f.errors


@pytest.mark.parametrize("password", ["", "hunter22", "my main password", "abcd-efgh-ijkl", "abcd-efgh-ijkl-mnop-qrst",
                                      "<b>-efgh-ijkl-mnop"])
def test_only_an_app_password_is_accepted(password):
    f = form(app_password=password)

    assert not f.is_valid()
    assert "app_password" in f.errors


@pytest.mark.parametrize("searches", ["x" * 201, "café\x00bar", "\n".join(f"q{i}" for i in range(11))])
def test_searches_must_be_short_and_visible(searches):
    f = form(searches=searches)

    assert not f.is_valid()
    assert "searches" in f.errors


def test_the_app_password_is_never_shown_back():
    f = form()

    assert "abcd-efgh-ijkl-mnop" not in str(f["app_password"])
