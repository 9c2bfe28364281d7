"""Connecting a CSV channel (the account whose exports are imported), and uploading an exported
CSV file: which tool it comes from and, if needed, which column is what."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from comptoir.connectors.csvimport import importer, presets

MAPPED_FIELDS = ("text", "date", "author", "id", "url")
_COLUMN_HELP = _("Leave empty to let Comptoir find it from the column names.")


class ConnectForm(forms.Form):
    """A CSV channel: the account or page whose exports will be imported, and the network they come from."""

    name = forms.CharField(
        label=_("Account or page"),
        max_length=200,
        help_text=_("The account or page whose exports you will import, e.g. “Page Facebook Maison Lumière”."),
    )
    preset = forms.ChoiceField(
        label=_("Network"),
        choices=presets.preset_choices,
        initial="generic",
        help_text=_("Where the exports come from: the import page reads their columns this way unless you choose otherwise."),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name or not name.isprintable():
            raise forms.ValidationError(_("Give the account or page a name you will recognise, in plain letters."))
        return name

    def get_config(self) -> dict[str, Any]:
        preset = presets.get_preset(self.cleaned_data["preset"])
        return {"name": self.cleaned_data["name"], "preset": preset.name, "network": preset.network}

    def get_credentials(self) -> dict[str, Any]:
        return {}

    def get_handle(self) -> str:
        return self.cleaned_data["name"]


class ImportForm(forms.Form):
    """The file, its preset and an optional column mapping; checks the file before any import."""

    file = forms.FileField(label=_("CSV file"))
    preset = forms.ChoiceField(label=_("Exported from"), choices=presets.preset_choices, initial="generic")
    date_order = forms.ChoiceField(
        label=_("Dates like 03/04/2025"),
        required=False,
        choices=[
            ("", _("Guess from the file")),
            ("dmy", _("Day first (3 April)")),
            ("mdy", _("Month first (March 4)")),
        ],
    )
    text_column = forms.CharField(
        label=_("Text column"), max_length=200, required=False, help_text=_COLUMN_HELP
    )
    date_column = forms.CharField(
        label=_("Date column"), max_length=200, required=False, help_text=_COLUMN_HELP
    )
    author_column = forms.CharField(
        label=_("Author column"), max_length=200, required=False, help_text=_COLUMN_HELP
    )
    id_column = forms.CharField(label=_("Id column"), max_length=200, required=False, help_text=_COLUMN_HELP)
    url_column = forms.CharField(
        label=_("Link column"), max_length=200, required=False, help_text=_COLUMN_HELP
    )

    sniffed: importer.CsvSniff | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("An export of comments or posts, at most %(max)s.") % {
            "max": filesizeformat(importer.MAX_FILE_BYTES)
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        size = getattr(upload, "size", None)
        if not size:
            raise forms.ValidationError(_("The file is empty."))
        if size > importer.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(max)s. Split the export into smaller files."),
                params={"size": filesizeformat(size), "max": filesizeformat(importer.MAX_FILE_BYTES)},
            )
        upload.seek(0)
        head = upload.read(importer.MAX_HEADER_BYTES + importer.SNIFF_BYTES)
        upload.seek(0)
        try:
            self.sniffed = importer.sniff(head)
        except importer.CsvRejected as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload

    def get_mapping(self) -> dict[str, str]:
        """Field → column name, for the columns the person chose."""
        data = getattr(self, "cleaned_data", {})
        return {name: data[f"{name}_column"] for name in MAPPED_FIELDS if data.get(f"{name}_column")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        preset = cleaned.get("preset")
        if self.sniffed is None or not preset:
            return cleaned
        try:
            importer.resolve_columns(self.sniffed.header, presets.get_preset(preset), self.get_mapping())
        except importer.CsvRejected as exc:
            target = f"{exc.field}_column" if exc.field in MAPPED_FIELDS else None
            self.add_error(target, exc.message)
        return cleaned

    def get_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`importer.parse_rows` (besides the file)."""
        preset = presets.get_preset(self.cleaned_data["preset"])
        return {
            "preset": preset.name,
            "network": preset.network,
            "mapping": self.get_mapping(),
            "date_order": self.cleaned_data.get("date_order") or None,
        }
