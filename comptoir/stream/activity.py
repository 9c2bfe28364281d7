"""How the stream's actions read in the activity log (registered when the app is ready)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.workspaces import audit

from .actions import LABEL_NAMES

TASK_NAMES = {"sentiment": gettext_lazy("sentiment"), "toxicity": gettext_lazy("toxicity"), "spam": gettext_lazy("spam"),
              "complaint": gettext_lazy("complaint"), "intent": gettext_lazy("intent")}


def _label(value: str) -> str:
    return str(LABEL_NAMES.get(value, value or "—"))


def _count(event, side: str = "after") -> int:
    return int((getattr(event, side) or {}).get("count", 0))


def _corrected(event, names):
    (task, old), = event.before.items()
    new = event.after[task]
    return _("%(actor)s corrected the %(task)s of “%(object)s”: %(old)s → %(new)s.") % {
        **names, "task": str(TASK_NAMES.get(task, task)), "old": _label(old), "new": _label(new)}


audit.sentences({
    "source.add": lambda e, n: _("%(actor)s added the listening source %(object)s.") % n,
    "source.poll_now": lambda e, n: _("%(actor)s asked to read %(object)s now.") % n,
    "source.status": lambda e, n: (_("%(actor)s paused the listening source %(object)s.")
                                   if e.after.get("status") == "paused"
                                   else _("%(actor)s resumed the listening source %(object)s.")) % n,
    "source.remove": lambda e, n: ngettext(
        "%(actor)s removed the listening source %(object)s; its %(count)s message stays in the stream.",
        "%(actor)s removed the listening source %(object)s; its %(count)s messages stay in the stream.",
        e.after.get("messages_kept", 0)) % {**n, "count": e.after.get("messages_kept", 0)},
    "stream.erase": lambda e, n: ngettext(
        "%(actor)s erased for good %(count)s message of %(object)s, and %(corrections)s label corrections.",
        "%(actor)s erased for good %(count)s messages of %(object)s, and %(corrections)s label corrections.",
        e.before["messages"]) % {**n, "count": e.before["messages"], "corrections": e.before.get("corrections", 0)},
    "item.correct_label": _corrected,
    "item.review": lambda e, n: ngettext("%(actor)s marked %(count)s message reviewed.",
                                         "%(actor)s marked %(count)s messages reviewed.", _count(e)) % {**n, "count": _count(e)},
    "item.unreview": lambda e, n: ngettext("%(actor)s put %(count)s message back to review.",
                                           "%(actor)s put %(count)s messages back to review.", _count(e)) % {
        **n, "count": _count(e)},
    "item.tag": lambda e, n: ngettext("%(actor)s tagged %(count)s message “%(object)s”.",
                                      "%(actor)s tagged %(count)s messages “%(object)s”.", _count(e)) % {**n, "count": _count(e)},
    "item.untag": lambda e, n: ngettext("%(actor)s removed the tag “%(object)s” from %(count)s message.",
                                        "%(actor)s removed the tag “%(object)s” from %(count)s messages.",
                                        _count(e, "before")) % {**n, "count": _count(e, "before")},
    "view.save": lambda e, n: _view_sentence(e, n, (e.after or {}).get("screen"), deleted=False),
    "view.delete": lambda e, n: _view_sentence(e, n, (e.before or {}).get("screen"), deleted=True),
})


def _view_sentence(event, names, screen: str | None, *, deleted: bool) -> str:
    from .screen import SCREENS

    if not screen or screen == "stream":
        return (_("%(actor)s deleted the view “%(object)s” of the stream.") if deleted
                else _("%(actor)s saved the view “%(object)s” of the stream.")) % names
    title = SCREENS[screen].title if screen in SCREENS else screen
    return (_("%(actor)s deleted the view “%(object)s” of the list “%(screen)s”.") if deleted
            else _("%(actor)s saved the view “%(object)s” of the list “%(screen)s”.")) % {**names, "screen": title}
