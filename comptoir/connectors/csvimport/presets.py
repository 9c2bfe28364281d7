"""Which column of an exported CSV file holds what, for each network's export tools.

Community managers export comments and posts from Meta Business Suite (Facebook, Instagram),
LinkedIn page exports, X archive-to-CSV tools, YouTube Studio and third-party comment
exporters. Column names differ between tools, languages and versions, so each field below has
a list of names it is recognised by, in French and English. A preset puts its network's usual
names first and sets how ambiguous numeric dates are read.

Matching ignores case, accents, punctuation, underscores and repeated spaces: "Publié le",
"publie_le" and "PUBLIÉ  LE" are the same name. Names must match whole ("Comment ID" does not
match "ID"); the first name of a field's list found in the header wins, and a column serves one
field only. A mapping given by the community manager (field → column name) overrides all this.

Fields (only ``text`` is required):

=============  =========================================================================
``id``          the export's id of the comment or post ("Comment ID", "ID", "tweet_id"…);
                without it, items get a stable hash of author + date + text
``text``        the comment or post itself ("Message", "Commentaire", "Comment text",
                "Texte", "full_text"…)
``date``        when it was published ("Date", "Created at", "Publié le", "Timestamp"…)
``author``      who wrote it ("Author", "Auteur", "Nom", "Username", "screen_name"…)
``author_id``   the author's id on the network
``author_url``  a link to the author's profile
``url``         a link to the comment or post ("Link", "Permalink", "URL", "Lien"…)
``parent_id``   the comment it answers ("Parent ID", "in_reply_to_status_id"…)
``post_id``     the post or video it is attached to ("Post ID", "Video ID"…)
``title``       a post or video title
``kind``        post / comment / reply, when the export says
``likes``, ``replies``, ``shares``   engagement counts
=============  =========================================================================

Presets: ``facebook``, ``instagram``, ``linkedin`` (Meta and LinkedIn write US dates,
month first, in English exports), ``x`` (X archives: posts; replies have
``in_reply_to_status_id``), ``youtube`` (ISO dates), ``generic`` (any other tool; French
day-first dates). When most recognised column names are French, numeric dates are read
day first whatever the preset says, as a French export writes them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.connectors.base import ItemKind

FIELDS = (
    "id", "text", "date", "author", "author_id", "author_url", "url", "parent_id", "post_id",
    "title", "kind", "likes", "replies", "shares",
)  # fmt: skip

FIELD_LABELS = {
    "id": _("Id"),
    "text": _("Text"),
    "date": _("Date"),
    "author": _("Author"),
    "author_id": _("Author id"),
    "author_url": _("Author profile link"),
    "url": _("Link"),
    "parent_id": _("Parent id"),
    "post_id": _("Post id"),
    "title": _("Title"),
    "kind": _("Type"),
    "likes": _("Likes"),
    "replies": _("Replies"),
    "shares": _("Shares"),
}


def normalize(name: str) -> str:
    """Lower case, no accents, words separated by single spaces: how header names are compared."""
    decomposed = unicodedata.normalize("NFKD", name.replace("\ufeff", ""))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


# Names common to every tool, most specific first. French ones are listed in FRENCH below too.
# fmt: off
COMMON: dict[str, tuple[str, ...]] = {
    # "id" before "post id": in a comments export with both, "Post ID" is the parent post.
    "id": (
        "comment id", "id du commentaire", "identifiant du commentaire", "id commentaire", "reply id",
        "id", "identifiant", "id str", "tweet id", "status id", "post id", "id de la publication",
        "identifiant de la publication", "publication id",
    ),
    "text": (
        "comment text", "texte du commentaire", "comment", "commentaire", "message", "full text",
        "tweet text", "text", "texte", "post text", "texte de la publication", "content", "contenu",
        "body", "corps", "commentary", "caption", "legende", "description",
    ),
    "date": (
        "comment date", "date du commentaire", "created at", "created time", "creation date",
        "date de creation", "published at", "publie le", "date de publication", "publication date",
        "publish time", "heure de publication", "posted at", "posted on", "date", "timestamp",
        "date et heure", "time", "heure", "created",
    ),
    "author": (
        "author name", "author display name", "nom de l auteur", "author", "auteur", "commenter",
        "commenter name", "user name", "username", "nom d utilisateur", "screen name",
        "user screen name", "name", "nom", "user", "utilisateur", "from", "de", "profile name",
        "nom du profil", "display name",
    ),
    "author_id": (
        "author id", "id de l auteur", "id auteur", "author channel id", "user id", "id utilisateur",
        "from id", "profile id", "commenter id",
    ),
    "author_url": (
        "author url", "author profile url", "profile url", "url du profil", "lien du profil",
        "author channel url", "profile link", "commenter profile url",
    ),
    "url": (
        "comment url", "comment link", "lien du commentaire", "permalink", "permalien", "permalink url",
        "post url", "post link", "lien de la publication", "tweet url", "link", "lien", "url",
    ),
    "parent_id": (
        "parent comment id", "id du commentaire parent", "parent id", "id parent",
        "in reply to status id", "in reply to id", "in reply to", "en reponse a", "reply to", "parent",
    ),
    "post_id": (
        "post id", "id de la publication", "publication id", "video id", "id de la video", "id video",
        "media id", "conversation id",
    ),
    "title": (
        "post title", "titre de la publication", "video title", "titre de la video", "title", "titre",
        "subject", "sujet",
    ),
    "kind": (
        "content type", "type de contenu", "post type", "type de publication", "type", "kind",
    ),
    "likes": (
        "likes", "like count", "likes count", "j aime", "nombre de j aime", "reactions",
        "favorite count", "favorites", "favourites",
    ),
    "replies": (
        "replies", "reply count", "total reply count", "reponses", "nombre de reponses", "comments",
        "commentaires", "comment count",
    ),
    "shares": (
        "shares", "share count", "partages", "retweet count", "retweets", "reposts", "repost count",
    ),
}
# fmt: on

# Names only a French export writes: when they dominate, numeric dates are day first.
FRENCH = frozenset(
    {
        "id du commentaire", "identifiant du commentaire", "id commentaire", "id de la publication",
        "identifiant de la publication", "identifiant", "texte du commentaire", "commentaire",
        "texte", "texte de la publication", "contenu", "corps", "legende", "date du commentaire",
        "date de creation", "publie le", "date de publication", "heure de publication",
        "date et heure", "heure", "nom de l auteur", "auteur", "nom d utilisateur", "nom",
        "utilisateur", "de", "nom du profil", "id de l auteur", "id auteur", "id utilisateur",
        "url du profil", "lien du profil", "lien du commentaire", "permalien",
        "lien de la publication", "lien", "id du commentaire parent", "id parent", "en reponse a",
        "id de la video", "id video", "titre de la publication", "titre de la video", "titre",
        "sujet", "type de contenu", "type de publication", "j aime", "nombre de j aime", "reponses",
        "nombre de reponses", "commentaires", "partages",
    }
)  # fmt: skip
ENGLISH = (
    frozenset(n for names in COMMON.values() for n in names)
    - FRENCH
    - {"date", "type", "message", "description", "reactions", "url", "id"}
)


@dataclass(frozen=True)
class Preset:
    name: str
    label: str | Promise
    network: str
    date_order: str  # "dmy" or "mdy": how 03/04/2025 is read
    default_kind: ItemKind
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def names(self, field_name: str) -> tuple[str, ...]:
        """Every header name recognised for ``field_name``, this preset's own first."""
        return tuple(
            dict.fromkeys(normalize(n) for n in (*self.extra.get(field_name, ()), *COMMON[field_name]))
        )


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "facebook",
            _("Facebook (Meta Business Suite)"),
            "facebook",
            "mdy",
            ItemKind.COMMENT,
            {
                "text": ("message", "comment"),
                "date": ("created time", "publish time"),
                "author": ("name", "from name"),
            },
        ),
        Preset(
            "instagram",
            _("Instagram (Meta Business Suite)"),
            "instagram",
            "mdy",
            ItemKind.COMMENT,
            {"author": ("username",), "date": ("timestamp",), "text": ("text", "comment")},
        ),
        Preset(
            "linkedin",
            _("LinkedIn page export"),
            "linkedin",
            "mdy",
            ItemKind.COMMENT,
            {"text": ("comment", "commentary"), "author": ("commenter name", "author", "member name")},
        ),
        Preset(
            "x",
            _("X (Twitter) archive"),
            "x",
            "mdy",
            ItemKind.POST,
            {
                "id": ("id str", "tweet id", "id"),
                "text": ("full text", "text", "tweet text"),
                "author": ("screen name", "user screen name", "username"),
                "parent_id": ("in reply to status id str", "in reply to status id"),
                "likes": ("favorite count",),
                "shares": ("retweet count",),
            },
        ),
        Preset(
            "youtube",
            _("YouTube comments"),
            "youtube",
            "mdy",
            ItemKind.COMMENT,
            {
                "author": ("author display name", "author", "author name"),
                "text": ("comment", "text display", "text original", "text"),
                "date": ("published at", "updated at"),
                "post_id": ("video id",),
            },
        ),
        Preset("generic", _("Other tool (generic)"), "csv", "dmy", ItemKind.COMMENT),
    )
}


def preset_choices() -> list[tuple[str, str | Promise]]:
    return [(p.name, p.label) for p in PRESETS.values()]


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"Unknown CSV preset {name!r}; known: {', '.join(PRESETS)}") from None


def match_columns(header: list[str] | tuple[str, ...], preset: Preset) -> dict[str, int]:
    """Field → column index, for the fields this header has (by the preset's names)."""
    normalized = [normalize(h) for h in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(normalized):
        positions.setdefault(name, index)  # a repeated name: its first column
    used: set[int] = set()
    found: dict[str, int] = {}
    for field_name in FIELDS:
        for name in preset.names(field_name):
            column = positions.get(name)
            if column is not None and column not in used:
                found[field_name] = column
                used.add(column)
                break
    return found


def looks_french(header: list[str] | tuple[str, ...]) -> bool:
    """True when more recognised header names are French-only than English-only."""
    names = [normalize(h) for h in header]
    french = sum(n in FRENCH for n in names)
    english = sum(n in ENGLISH for n in names)
    return french > english


def header_score(row: list[str]) -> int:
    """How many cells of ``row`` are known column names: finds the header under a title line."""
    known = {n for names in COMMON.values() for n in names}
    return sum(normalize(cell) in known for cell in row[:200])
