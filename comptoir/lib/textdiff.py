"""Word diffs for the people who compare two versions of a text (a post, a charter)."""

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def word_diff(before: str, after: str) -> SafeString:
    """``after`` with the words added in ``<ins>`` and the removed ones in ``<del>`` (escaped)."""
    a, b = re.split(r"(\s+)", before), re.split(r"(\s+)", after)
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
    return mark_safe("".join(parts))  # noqa: S308 (every piece is escaped above)
