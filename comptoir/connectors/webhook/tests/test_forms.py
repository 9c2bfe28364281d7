from comptoir.connectors.webhook.forms import ConnectForm


def test_it_creates_a_secret_when_none_is_given():
    form = ConnectForm(data={"name": "Formulaire de contact", "require_timestamp": "on"})
    assert form.is_valid(), form.errors
    secret = form.get_credentials()["secret"]
    assert len(secret) >= 40
    assert form.get_credentials()["secret"] == secret
    assert form.get_config() == {"name": "Formulaire de contact", "require_timestamp": True}
    assert form.get_handle() == "Formulaire de contact"


def test_two_channels_get_different_secrets():
    first = ConnectForm(data={"name": "A"})
    second = ConnectForm(data={"name": "B"})
    assert first.is_valid() and second.is_valid()
    assert first.get_credentials()["secret"] != second.get_credentials()["secret"]


def test_it_keeps_a_pasted_secret_and_an_unticked_timestamp_box():
    form = ConnectForm(data={"name": "Zapier", "secret": "x" * 32})
    assert form.is_valid(), form.errors
    assert form.get_credentials() == {"secret": "x" * 32}
    assert form.get_config()["require_timestamp"] is False


def test_it_refuses_a_short_secret():
    form = ConnectForm(data={"name": "Zapier", "secret": "hunter2"})
    assert not form.is_valid()
    assert "too short" in str(form.errors["secret"])


def test_it_refuses_a_blank_name():
    form = ConnectForm(data={"name": "   "})
    assert not form.is_valid()
    assert "name" in form.errors
