from comptoir.connectors.discourse.forms import ConnectForm

from .conftest import API_KEY


def data(**overrides):
    return {
        "base_url": "https://127.0.0.1:8443",
        "api_username": "system",
        "api_key": API_KEY,
        "mode": "posts",
        "mute_days": "7",
        **overrides,
    }


def test_a_complete_form_gives_config_credentials_and_handle():
    form = ConnectForm(data=data(default_category="4"))
    assert form.is_valid(), form.errors
    assert form.get_config() == {
        "base_url": "https://127.0.0.1:8443",
        "mode": "posts",
        "default_category": 4,
        "mute_days": 7,
        "ban_days": None,
    }
    assert form.get_credentials() == {"api_key": API_KEY, "api_username": "system"}
    assert form.get_handle() == "system@127.0.0.1"


def test_a_pasted_page_address_becomes_the_forum_address():
    form = ConnectForm(data=data(base_url="https://127.0.0.1/forum/t/bienvenue/7?u=x#post"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["base_url"] == "https://127.0.0.1/forum"


def test_it_refuses_something_that_is_not_an_api_key():
    form = ConnectForm(data=data(api_key="mon mot de passe"))
    assert not form.is_valid()
    assert "API key" in str(form.errors["api_key"])


def test_it_refuses_a_strange_user_name():
    form = ConnectForm(data=data(api_username="system; DROP"))
    assert not form.is_valid()
    assert "api_username" in form.errors


def test_it_refuses_a_private_address_when_those_are_not_allowed(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    form = ConnectForm(data=data(base_url="http://127.0.0.1:3000"))
    assert not form.is_valid()
    assert "private" in str(form.errors["base_url"])


def test_it_refuses_a_plain_http_forum_outside_development(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    form = ConnectForm(data=data(base_url="http://1.1.1.1"))  # a public address: no DNS needed
    assert not form.is_valid()
    assert "https://" in str(form.errors["base_url"])
