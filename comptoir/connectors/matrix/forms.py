"""How a community manager connects a Matrix account and chooses its rooms."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.connectors.servers import clean_server_url

_USER_ID_RE = re.compile(r"^@[a-z0-9._=/+-]{1,200}:(?P<server>[a-z0-9.-]+(?::\d{1,5})?|\[[0-9a-f:.]+\](?::\d{1,5})?)$", re.IGNORECASE)
_ROOM_ID_RE = re.compile(r"^![A-Za-z0-9._~+=-]{1,255}(?::[A-Za-z0-9.:\[\]-]{1,255})?$")
_ALIAS_RE = re.compile(r"^#[^\s:#!@/<>\"']{1,200}:[A-Za-z0-9.:\[\]-]{1,255}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{8,1024}$")
MAX_ROOMS = 20


def _room(value: str) -> str:
    value = value.strip()
    if value.startswith("https://matrix.to/#/"):
        # A link copied from "Share room" works as well.
        value = value.removeprefix("https://matrix.to/#/").split("?", 1)[0]
    if _ROOM_ID_RE.match(value) or _ALIAS_RE.match(value):
        return value
    raise forms.ValidationError(
        _("“%(room)s” is not a room: give its address (#name:server) or its id (!…).") % {"room": value[:80]}
    )


class ConnectForm(forms.Form):
    homeserver = forms.CharField(
        label=_("Homeserver"),
        max_length=200,
        initial="https://matrix.org",
        help_text=_(
            "The server the account lives on, e.g. https://matrix.org. In Element: Settings → Help & "
            "About → Advanced → Homeserver."
        ),
    )
    user_id = forms.CharField(
        label=_("Matrix ID"),
        max_length=255,
        help_text=_("The account's full ID, shown under its name in Element, e.g. @comptoir:matrix.org."),
    )
    access_token = forms.CharField(
        label=_("Access token"),
        max_length=1024,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "In Element, logged in as this account: Settings → Help & About → Advanced → Access Token. "
            "Use an account dedicated to Comptoir, and do not log that session out: logging out revokes "
            "the token."
        ),
    )
    rooms = forms.CharField(
        label=_("Rooms to follow"),
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One room per line: its address (#name:server) or its id (Room settings → Advanced → "
            "Internal room ID). The account must be in these rooms, or invited to them. At most 20."
        ),
    )
    publish_room = forms.CharField(
        label=_("Room to publish in"),
        required=False,
        max_length=300,
        help_text=_("Where Comptoir posts your publications. Leave empty to use the first room above."),
    )
    reply_style = forms.ChoiceField(
        label=_("Answers"),
        choices=[
            ("thread", _("In a thread under the message (keeps the room tidy)")),
            ("reply", _("As a quoted reply in the room")),
        ],
        initial="thread",
    )

    def clean_homeserver(self) -> str:
        return clean_server_url(self.cleaned_data["homeserver"], example="https://matrix.org", server=_("homeserver"))

    def clean_user_id(self) -> str:
        user_id = self.cleaned_data["user_id"].strip()
        if not _USER_ID_RE.match(user_id):
            raise forms.ValidationError(_("Write the full Matrix ID, with @ and the server: e.g. @comptoir:matrix.org."))
        return user_id

    def clean_access_token(self) -> str:
        token = self.cleaned_data["access_token"]
        if not _TOKEN_RE.match(token):
            raise forms.ValidationError(_("This does not look like a Matrix access token: copy it again, without spaces."))
        return token

    def clean_rooms(self) -> list[str]:
        rooms: list[str] = []
        for line in re.split(r"[\n,]+", self.cleaned_data["rooms"]):
            if line.strip():
                room = _room(line)
                if room not in rooms:
                    rooms.append(room)
        if not rooms:
            raise forms.ValidationError(_("Give at least one room."))
        if len(rooms) > MAX_ROOMS:
            raise forms.ValidationError(_("Follow at most %(max)d rooms per account.") % {"max": MAX_ROOMS})
        return rooms

    def clean_publish_room(self) -> str:
        value = self.cleaned_data.get("publish_room", "")
        return _room(value) if value.strip() else ""

    def get_config(self) -> dict[str, Any]:
        config = {
            "homeserver": self.cleaned_data["homeserver"],
            "user_id": self.cleaned_data["user_id"],
            "rooms": self.cleaned_data["rooms"],
            "reply_style": self.cleaned_data["reply_style"],
        }
        if self.cleaned_data.get("publish_room"):
            config["publish_room"] = self.cleaned_data["publish_room"]
        return config

    def get_credentials(self) -> dict[str, Any]:
        return {"access_token": self.cleaned_data["access_token"]}

    def get_handle(self) -> str:
        return self.cleaned_data["user_id"]
