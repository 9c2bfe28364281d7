from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from comptoir.connectors.base import Action, NotSupported, get_connector_class
from comptoir.connectors.csvimport import importer
from comptoir.connectors.csvimport.client import CsvImportConnector
from comptoir.connectors.csvimport.forms import ImportForm

DATA = Path(__file__).parent / "data"


def form(name_or_bytes, filename="export.csv", **data):
    content = (DATA / name_or_bytes).read_bytes() if isinstance(name_or_bytes, str) else name_or_bytes
    upload = SimpleUploadedFile(filename, content, content_type="text/csv")
    return ImportForm(data={"preset": "generic", **data}, files={"file": upload})


def test_a_good_file_gives_the_options_for_the_import():
    f = form("youtube_comments.csv", preset="youtube", date_order="mdy")
    assert f.is_valid(), f.errors
    assert f.sniffed.delimiter == ","
    assert f.get_options() == {"preset": "youtube", "network": "youtube", "mapping": {}, "date_order": "mdy"}
    upload = f.cleaned_data["file"]
    summary = importer.summarize(importer.parse_rows(upload, **f.get_options()))
    assert summary.imported == 3


def test_a_wrong_column_is_reported_on_its_field_with_the_columns_found():
    f = form("generic_fr_excel.csv", text_column="Comentaire")
    assert not f.is_valid()
    assert f.errors["text_column"] == [
        "The column “Comentaire” chosen for “Text” is not in the file. "
        "Columns found: “Date”, “Auteur”, “Commentaire”, “Lien”, “J'aime”."
    ]


def test_a_mapping_makes_an_unknown_layout_importable():
    f = form(b"Quand,Qui,Propos\n2025-03-01,Ana,Bonjour\n", text_column="Propos", author_column="Qui")
    assert f.is_valid(), f.errors
    assert f.get_mapping() == {"text": "Propos", "author": "Qui"}


def test_without_a_text_column_the_form_asks_for_one():
    f = form(b"Foo,Bar\n1,2\n")
    assert not f.is_valid()
    assert "Choose the text column" in f.errors["text_column"][0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"PK\x03\x04" + b"\x00" * 50, "This is an Excel workbook or a zip archive, not a CSV file."),
        ((DATA / "wide_10000.csv").read_bytes(), "The file has 10000 columns; Comptoir reads at most 200."),
    ],
)
def test_unusable_files_are_refused_with_a_reason(content, message):
    f = form(content)
    assert not f.is_valid()
    assert f.errors["file"][0].startswith(message)


def test_a_file_over_the_limit_is_refused_without_reading_it(monkeypatch):
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 100)
    f = form(b"ID,Comment\n" + b"r,texte\n" * 50)
    assert not f.is_valid()
    assert f.errors["file"] == [
        "The file is 411\xa0bytes; the limit is 100\xa0bytes. Split the export into smaller files."
    ]


def test_the_csv_connector_only_says_to_import():
    assert get_connector_class("csv") is CsvImportConnector
    assert CsvImportConnector.capabilities.actions == frozenset({Action.READ})
    connector = CsvImportConnector()
    assert connector.check_connection().ok
    with pytest.raises(NotSupported, match="import an export file"):
        connector.fetch(None)
