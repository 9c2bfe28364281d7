import io
import json
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from comptoir.conftest import membership_of
from comptoir.connectors.webhook.client import sign
from comptoir.stream.models import Item
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Channel

CSV_DATA = Path(__file__).resolve().parents[2] / "connectors" / "csvimport" / "tests" / "data"


@pytest.fixture
def csv_channel(workspace, cm):
    return actions.do_connect_channel(membership_of(cm, workspace), network="csv", handle="Export Facebook",
                                      config={}, credentials={})


def test_importing_a_csv_twice_counts_duplicates_and_stores_once(csv_channel):
    out = io.StringIO()
    call_command("import", "csv", str(CSV_DATA / "facebook_comments.csv"), "--channel", str(csv_channel.pk),
                 "--preset", "facebook", stdout=out, stderr=io.StringIO())
    first = Item.objects.filter(channel=csv_channel).count()
    assert first > 0 and f"imported: {first}" in out.getvalue()
    out = io.StringIO()
    call_command("import", "csv", str(CSV_DATA / "facebook_comments.csv"), "--channel", str(csv_channel.pk),
                 "--preset", "facebook", stdout=out, stderr=io.StringIO())
    assert "imported: 0" in out.getvalue()
    assert Item.objects.filter(channel=csv_channel).count() == first
    assert AuditEvent.objects.filter(action="channel.import_csv", via="cli").count() == 2


def test_a_csv_channel_is_connected_from_the_web_and_its_import_page_expects_its_network(workspace, cm, as_user):
    client = as_user(cm)
    assert client.get("/w/velo/channels/connect/csv/").status_code == 200

    response = client.post("/w/velo/channels/connect/csv/", {"name": "  Page Facebook  du Vélo ", "preset": "facebook"})

    assert response.status_code == 302
    channel = Channel.objects.get(network="csv")
    assert channel.handle == "Page Facebook du Vélo"
    assert channel.config == {"name": "Page Facebook du Vélo", "preset": "facebook", "network": "facebook"}
    channels = client.get("/w/velo/channels/").content.decode()
    assert f"/w/velo/channels/{channel.pk}/import/" in channels
    page = client.get(f"/w/velo/channels/{channel.pk}/import/").content.decode()
    assert '<option value="facebook" selected>' in page
    with (CSV_DATA / "facebook_comments.csv").open("rb") as upload:
        imported = client.post(f"/w/velo/channels/{channel.pk}/import/", {"file": upload, "preset": "facebook"})
    assert 'data-testid="import-summary"' in imported.content.decode()
    assert Item.objects.filter(channel=channel).exists()


def test_a_csv_channel_needs_a_name(workspace, cm, as_user):
    response = as_user(cm).post("/w/velo/channels/connect/csv/", {"name": " \u200b ", "preset": "generic"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not Channel.objects.filter(network="csv").exists()


def test_bad_rows_are_reported_with_their_line_numbers(csv_channel):
    out = io.StringIO()
    call_command("import", "csv", str(CSV_DATA / "bad_rows.csv"), "--channel", str(csv_channel.pk), stdout=out,
                 stderr=io.StringIO())
    text = out.getvalue()
    rejected = int(text.split("rejected:")[1].split()[0])
    assert rejected > 0
    assert ("line " in text) or ("ligne " in text)


def test_a_csv_with_10000_columns_imports_nothing(csv_channel):
    with pytest.raises(CommandError):
        call_command("import", "csv", str(CSV_DATA / "wide_10000.csv"), "--channel", str(csv_channel.pk),
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert not Item.objects.exists()


@pytest.fixture
def hook(workspace, cm):
    return actions.do_connect_channel(membership_of(cm, workspace), network="webhook", handle="Formulaire contact",
                                      config={"name": "Formulaire", "require_timestamp": True},
                                      credentials={"secret": "s" * 40})


def _post(channel, payload: bytes, secret="s" * 40, timestamp=None):
    ts = str(int(time.time())) if timestamp is None else timestamp
    return Client().post(f"/hooks/webhook/{channel.pk}/", payload, content_type="application/json",
                         HTTP_X_COMPTOIR_SIGNATURE=sign(secret, payload, ts), HTTP_X_COMPTOIR_TIMESTAMP=ts)


def test_a_signed_webhook_brings_items_in_once(hook):
    payload = json.dumps({"items": [{"id": "t-1", "text": "Bonjour, ma commande n'est pas arrivée", "kind": "comment"}]}).encode()
    response = _post(hook, payload)
    assert response.status_code == 202 and response.json()["accepted"] == 1
    assert _post(hook, payload).json() == {"accepted": 0, "duplicates": 1}
    assert Item.objects.get().channel == hook


@pytest.mark.parametrize("secret, timestamp", [("wrong" * 10, None), ("s" * 40, "1000000000")])
def test_a_webhook_with_a_bad_signature_or_an_old_timestamp_is_refused(hook, secret, timestamp):
    payload = json.dumps({"id": "x", "text": "spam"}).encode()
    response = _post(hook, payload, secret=secret, timestamp=timestamp)
    assert response.status_code == 401 and "signature" in response.json()["message"]
    assert not Item.objects.exists()


@pytest.mark.parametrize("payload", [b"{not json", b"[]", json.dumps({"items": [{"id": 1, "text": 5}]}).encode(),
                                     json.dumps({"id": "x", "text": "<script>alert(1)</script>", "bogus": 1}).encode()])
def test_a_malformed_webhook_is_refused_and_stores_nothing(hook, payload):
    response = _post(hook, payload)
    assert response.status_code == 400 and response.json()["message"]
    assert not Item.objects.exists()


def test_an_unknown_webhook_address_is_404(db):
    assert Client().post("/hooks/webhook/999999/", b"{}", content_type="application/json").status_code == 404


def _upload(client, channel, name, data, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/w/velo/channels/{channel.pk}/import/",
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "preset": "generic"} | extra)


def test_importing_from_the_web_page_shows_a_summary(workspace, cm, as_user, csv_channel):
    client = as_user(cm)
    data = (CSV_DATA / "generic_fr_excel.csv").read_bytes()
    body = _upload(client, csv_channel, "export.csv", data).content.decode()
    assert 'data-testid="import-summary"' in body
    imported = Item.objects.filter(channel=csv_channel).count()
    assert imported > 0
    again = _upload(client, csv_channel, "export.csv", data).content.decode()
    assert 'data-testid="import-summary"' in again
    assert Item.objects.filter(channel=csv_channel).count() == imported


@pytest.mark.parametrize("name, data", [
    ("empty.csv", b""),
    ("classeur.xlsx", b"PK\x03\x04" + b"\x00" * 200),
    ("binary.csv", bytes(range(256)) * 20),
])
def test_files_that_are_not_csv_are_refused_with_a_reason(workspace, cm, as_user, csv_channel, name, data):
    response = _upload(as_user(cm), csv_channel, name, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-invalid" in body or "invalid-feedback" in body
    assert not Item.objects.exists()


def test_a_10000_column_file_from_the_page_imports_nothing(workspace, cm, as_user, csv_channel):
    response = _upload(as_user(cm), csv_channel, "wide.csv", (CSV_DATA / "wide_10000.csv").read_bytes())
    assert "invalid-feedback" in response.content.decode()
    assert not Item.objects.exists()


def test_a_wrong_column_name_is_named_in_the_error(workspace, cm, as_user, csv_channel):
    data = (CSV_DATA / "generic_fr_excel.csv").read_bytes()
    body = _upload(as_user(cm), csv_channel, "export.csv", data, text_column="Colonne Fantôme").content.decode()
    assert "Colonne Fantôme" in body
    assert not Item.objects.exists()


def test_only_channel_managers_of_this_workspace_import(workspace, analyst, outsider, as_user, csv_channel):
    data = (CSV_DATA / "generic_fr_excel.csv").read_bytes()
    assert _upload(as_user(analyst), csv_channel, "e.csv", data).status_code == 403
    assert _upload(as_user(outsider), csv_channel, "e.csv", data).status_code == 404
    assert not Item.objects.exists()


def _glued_export() -> bytes:
    lines = ["ID,Comment,Author,Date", "1,Premier,zoe,2025-03-01", '2,"Commande jamais reçue,alice,2025-03-01']
    lines += [f"{n},Message numéro {n},bob,2025-03-02" for n in range(3, 201)]
    return ("\n".join(lines) + "\n").encode()


def test_a_file_with_an_unclosed_quote_is_refused_from_the_page_and_nothing_is_merged(workspace, cm, as_user,
                                                                                        csv_channel):
    body = _upload(as_user(cm), csv_channel, "export.csv", _glued_export()).content.decode()
    assert "invalid-feedback" in body and "201" in body
    assert not Item.objects.exists()


def test_a_file_with_an_unclosed_quote_is_refused_from_the_command_line(csv_channel, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(_glued_export())
    with pytest.raises(CommandError, match="(lines 3 to 201|lignes 3 à 201)"):
        call_command("import", "csv", str(path), "--channel", str(csv_channel.pk), stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert not Item.objects.exists()
