import pytest

from comptoir.connectors.email.forms import ConnectForm

GOOD = {
    "imap_host": "imap.example.org",
    "imap_security": "ssl",
    "smtp_host": "SMTP.Example.org",
    "smtp_security": "starttls",
    "username": "contact@example.org",
    "password": " secret with spaces ",
    "from_address": "contact@example.org",
    "folder": "INBOX",
}


def test_a_complete_form_gives_config_credentials_and_handle():
    form = ConnectForm(data=GOOD)
    assert form.is_valid(), form.errors
    config = form.get_config()
    assert config["imap_port"] == 993 and config["smtp_port"] == 587
    assert config["smtp_host"] == "smtp.example.org"
    assert "password" not in config
    assert form.get_credentials() == {"password": " secret with spaces "}
    assert form.get_handle() == "contact@example.org"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("imap_host", "imap://imap.example.org", "without imap://, smtp:// or a path"),
        ("imap_host", "imap.example.org:993", "Enter the port in its own field"),
        ("smtp_host", "not a host", "is not a valid host name"),
        ("imap_port", "70000", "less than or equal to 65535"),
        ("imap_security", "tls13", "Select a valid choice"),
        ("folder", "INBOX*", "cannot contain control characters"),
        ("folder", "", "This field is required"),
        ("password", "   ", "Enter the password of the mailbox."),
        ("username", "a\nb", "cannot contain line breaks"),
        ("from_address", "not-an-address", "Enter a valid email address"),
        ("sent_folder", "INBOX", "must differ from the folder to read"),
    ],
)
def test_each_mistake_gets_a_clear_message(field, value, message):
    form = ConnectForm(data={**GOOD, field: value})
    assert not form.is_valid()
    assert message in " ".join(form.errors[field]), form.errors


def test_an_international_host_name_is_stored_in_ascii():
    form = ConnectForm(data={**GOOD, "imap_host": "mail.exemple-café.fr"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["imap_host"] == "mail.xn--exemple-caf-lbb.fr"
