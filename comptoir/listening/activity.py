"""How listening's actions read in the activity log (registered when the app is ready)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.workspaces import audit


def _count(event, side: str = "after", key: str = "count") -> int:
    return int((getattr(event, side) or {}).get(key, 0))


def _updated(event, names) -> str:
    changed = set((event.after or {}).keys())
    if changed & {"queries", "sources"}:
        return _("%(actor)s changed the queries or sources of the topic %(object)s; its mentions were read again.") % names
    return _("%(actor)s edited the topic %(object)s.") % names


audit.GROUPS.update({"topic": gettext_lazy("Listening topics"), "curation": gettext_lazy("Curation")})
audit.FIELD_NAMES.update({"queries": gettext_lazy("queries"), "sources": gettext_lazy("sources"),
                          "color": gettext_lazy("colour")})

audit.sentences({
    "topic.create": lambda e, n: _("%(actor)s created the topic %(object)s.") % n,
    "topic.update": _updated,
    "topic.archive": lambda e, n: _("%(actor)s archived the topic %(object)s: it no longer finds new mentions.") % n,
    "topic.unarchive": lambda e, n: _("%(actor)s brought back the topic %(object)s.") % n,
    "topic.delete": lambda e, n: ngettext(
        "%(actor)s deleted the topic %(object)s and forgot its %(count)s mention; the message stays in the stream.",
        "%(actor)s deleted the topic %(object)s and forgot its %(count)s mentions; the messages stay in the stream.",
        _count(e, "before", "mentions")) % {**n, "count": _count(e, "before", "mentions")},
})
