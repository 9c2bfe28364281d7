"""The connector behind CSV channels: nothing to connect, items come from imported files.

The reading itself is in :mod:`comptoir.connectors.csvimport.importer`; the app calls
:func:`~comptoir.connectors.csvimport.importer.parse_rows` with the uploaded file.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from comptoir.connectors.base import (
    Action,
    BaseConnector,
    Capabilities,
    ConnectionCheck,
    FetchResult,
    NotSupported,
    register,
)


@register
class CsvImportConnector(BaseConnector):
    """A channel filled by importing exported CSV files."""

    polled = False
    network = "csv"
    label = "CSV"
    capabilities = Capabilities(actions=frozenset({Action.READ}))

    def check_connection(self) -> ConnectionCheck:
        return ConnectionCheck(
            ok=True, message=_("Nothing to connect: this channel is filled by importing CSV files.")
        )

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        raise NotSupported(
            _("A CSV channel is not fetched from a network: import an export file from the channel's page.")
        )
