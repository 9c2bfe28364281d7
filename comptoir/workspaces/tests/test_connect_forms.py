"""The connect forms as a browser sees them: what they send as they first appear, and what they keep."""

from html.parser import HTMLParser

import pytest
from django import forms
from django.template.loader import render_to_string

from comptoir.connectors.base import registered_networks

NETWORKS = ["bluesky", "csv", "discourse", "email", "mastodon", "matrix", "webhook"]


class _Controls(HTMLParser):
    """The controls of a page's forms, to submit them as a browser would (HTML's form submission rules)."""

    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []
        self.selects: dict[str, list[tuple[str, bool]]] = {}
        self.labels_for: list[str] = []
        self._select: str | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "input":
            self.inputs.append(a)
        elif tag == "select":
            self._select = a.get("name", "")
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.selects[self._select].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = {"type": "textarea", "name": a.get("name", ""), "value": ""}
            self.inputs.append(self._textarea)
        elif tag == "label" and a.get("for"):
            self.labels_for.append(a["for"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def submitted(html: str) -> dict[str, list[str]]:
    """What a browser sends when this page's form is submitted untouched."""
    page = _Controls()
    page.feed(html)
    data: dict[str, list[str]] = {}
    for control in page.inputs:
        name, kind = control.get("name"), control.get("type", "text")
        if not name or kind in ("submit", "button", "file"):
            continue
        if kind in ("checkbox", "radio"):
            if "checked" in control:
                data.setdefault(name, []).append(control.get("value", "on"))
        else:
            data.setdefault(name, []).append(control.get("value", ""))
    for name, options in page.selects.items():
        chosen = [value for value, selected in options if selected] or [options[0][0]] if options else []
        data.setdefault(name, []).extend(chosen)
    return data


def _choice_fields(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.ChoiceField | forms.BooleanField):
            yield name, field


@pytest.mark.parametrize("network", NETWORKS)
def test_a_connect_form_sends_the_choices_it_shows_as_it_first_appears(network, workspace, cm, as_user):
    response = as_user(cm).get(f"/w/velo/channels/connect/{network}/")
    assert response.status_code == 200
    sent = submitted(response.content.decode())
    form_class = registered_networks()[network].connect_form_class()

    bound = form_class(data={k: v[0] if len(v) == 1 else v for k, v in sent.items()})
    bound.is_valid()
    for name, field in _choice_fields(form_class):
        initial = field.initial() if callable(field.initial) else field.initial
        if isinstance(field, forms.MultipleChoiceField):
            assert sent.get(name, []) == [str(v) for v in initial or []], name
        elif isinstance(field, forms.BooleanField):
            assert sent.get(name, []) == (["on"] if initial else []), name
        else:
            assert sent.get(name) == [str(initial if initial is not None else field.choices[0][0])], name
        assert name not in bound.errors, (name, bound.errors.get(name))


class EveryKind(forms.Form):
    streams = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")], initial=["a", "c"],
                                        widget=forms.CheckboxSelectMultiple, required=False)
    style = forms.ChoiceField(choices=[("thread", "Thread"), ("reply", "Reply")], initial="reply", widget=forms.RadioSelect)
    mode = forms.ChoiceField(choices=[("posts", "Posts"), ("topics", "Topics")], initial="topics")
    strict = forms.BooleanField(required=False, initial=True)
    loose = forms.BooleanField(required=False, initial=False)


def test_checkbox_groups_radios_selects_and_single_checkboxes_render_as_a_browser_expects():
    html = render_to_string("workspaces/_form.html", {"form": EveryKind()})
    page = _Controls()
    page.feed(html)

    assert submitted(html) == {"streams": ["a", "c"], "style": ["reply"], "mode": ["topics"], "strict": ["on"]}
    ids = [c["id"] for c in page.inputs if c.get("id")]
    assert len(ids) == len(set(ids)) and set(page.labels_for) <= set(ids) | {"id_mode"}
    assert EveryKind(data={"streams": ["a", "c"], "style": "reply", "mode": "topics", "strict": "on"}).is_valid()


def test_a_group_keeps_what_was_ticked_when_the_page_comes_back_with_an_error():
    form = EveryKind(data={"streams": ["b"], "mode": "nope"})
    assert not form.is_valid()
    html = render_to_string("workspaces/_form.html", {"form": form})

    assert submitted(html)["streams"] == ["b"]
    assert "style" not in submitted(html)  # nothing chosen: the error says so
    assert "is-invalid" in html


SECRETS = {"mastodon": "access_token", "bluesky": "app_password", "matrix": "access_token", "email": "password",
           "discourse": "api_key", "webhook": "secret"}


@pytest.mark.parametrize(("network", "secret"), SECRETS.items())
def test_a_typed_secret_is_still_there_when_the_page_comes_back(network, secret, workspace, cm, as_user):
    value = "s3cret-Valu3-that-is-long-enough-0123456789"
    response = as_user(cm).post(f"/w/velo/channels/connect/{network}/", {secret: value, "test": "1"})

    assert response.status_code == 200
    sent = submitted(response.content.decode())
    assert sent[secret] == [value]
    assert 'autocomplete="new-password"' in response.content.decode()


def test_after_testing_the_connection_the_token_need_not_be_pasted_again(workspace, cm, as_user):
    # A loopback server is refused at once (private address): the check fails without leaving the machine.
    data = {"handle": "@cm@example.org", "server": "https://127.0.0.1:9", "access_token": "tok3n-0123456789",
            "streams": ["home", "mentions"], "test": "1"}
    response = as_user(cm).post("/w/velo/channels/connect/mastodon/", data)

    body = response.content.decode()
    assert 'data-testid="connection-check"' in body and "réseau privé" in body
    sent = submitted(body)
    assert sent["access_token"] == ["tok3n-0123456789"] and sent["streams"] == ["home", "mentions"]
