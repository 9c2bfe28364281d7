"""Parsing XML from the outside world (feeds, sitemaps, API answers) without its traps.

XML can declare entities that expand exponentially ("billion laughs") or that read local
files and URLs (XXE). :func:`parse_xml` goes through defusedxml, which refuses any entity
declaration and any external reference; a plain DOCTYPE without entities (old RSS 0.91 feeds
have one) is accepted, and its external DTD is never loaded.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from comptoir.lib.i18n import gettext as _

__all__ = ["InvalidXML", "UnsafeXML", "parse_xml"]


class UnsafeXML(ValueError):
    """The document uses XML features refused for security (entities, external references)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidXML(ValueError):
    """The document is not well-formed XML."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_xml(data: bytes | str) -> Element:
    """Parse ``data`` and return the root element.

    Raises :class:`UnsafeXML` when the document declares entities (internal or external),
    refers to external resources, or otherwise needs features that could expand without
    bounds or read files; raises :class:`InvalidXML` when it is not well-formed. Pass bytes
    when you can: the parser then honours the document's own encoding declaration.
    """
    try:
        return defusedxml.ElementTree.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeXML(
            _(
                "This XML document declares entities or refers to external resources, which "
                "Comptoir refuses for security reasons. Ask the publisher for a plain feed "
                "without a DTD."
            )
        ) from exc
    except (ParseError, ValueError) as exc:
        raise InvalidXML(
            _(
                "This document is not valid XML. Check that the address points to a feed or an "
                "XML file, not to a web page."
            )
        ) from exc
