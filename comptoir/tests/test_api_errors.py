"""API callers always get JSON errors, and the OpenAPI document says which ones each route can give.

The hostile calls are built from the OpenAPI document itself, so a route added later is covered too.
"""

import json
import re

import pytest
from django.db import OperationalError, connection
from django.test import Client

from comptoir.conftest import membership_of
from comptoir.inbox.tests.routing_world import routing_world
from comptoir.moderation.tests.queue_world import queue_world
from comptoir.moderation.tests.rules_world import rules_world
from comptoir.moderation.tests.sanction_world import sanction_world
from comptoir.tests.inbox_world import inbox_world
from comptoir.tests.publishing_world import png_bytes, publishing_world
from comptoir.workspaces import actions
from comptoir.workspaces.models import Channel, Workspace

HTML_STRINGS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]
WRONG_TYPES = [12345, ["a", "b"], {"nested": {"x": 1}}, True, None, 1e308]


def token_client(user, workspace, **kwargs) -> Client:
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **kwargs)


def openapi(client=None) -> dict:
    return json.loads((client or Client()).get("/api/v1/openapi.json").content)


def operations(doc: dict):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def assert_json_error(response, *statuses):
    assert response["Content-Type"].startswith("application/json"), (response.status_code, response.content[:200])
    data = json.loads(response.content)
    assert set(data) >= {"message", "field"} and data["message"], data
    if statuses:
        assert response.status_code in statuses, (response.status_code, data)
    else:
        assert 400 <= response.status_code < 500, (response.status_code, data)
    return data


# The OpenAPI document -----------------------------------------------------------------------------


def test_every_route_declares_the_errors_it_can_give(db):
    doc = openapi()
    error_ref = "#/components/schemas/ApiError"
    assert {"message", "field"} <= set(doc["components"]["schemas"]["ApiError"]["properties"])
    seen = 0
    for path, method, op in operations(doc):
        codes = set(op["responses"])
        where = f"{method.upper()} {path}"
        assert {"401", "422", "429"} <= codes, where
        if "{slug}" in path:
            assert {"403", "404"} <= codes, where
        if "requestBody" in op:
            assert {"400", "413"} <= codes, where
        for code in codes - {"200", "201", "204"}:
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": error_ref}, (where, code)
        seen += 1
    assert seen >= 8


# Hostile calls, route by route, from the document ------------------------------------------------------


@pytest.fixture
def targets(workspace, other_workspace, owner, analyst, outsider, settings, tmp_path):
    """One of each object a path can name, in the workspace and in another one (publishing's made by its actions)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    mine = Channel.objects.create(workspace=workspace, network="rss", handle="https://velo.test/feed")
    theirs = Channel.objects.create(workspace=other_workspace, network="rss", handle="https://autre.test/feed")
    return {
        "mine": {"slug": "velo", "member_id": membership_of(analyst, workspace).pk, "channel_id": mine.pk,
                 **publishing_world(membership_of(owner, workspace), owner), **inbox_world(membership_of(owner, workspace)),
                 **_api_ids(routing_world(membership_of(owner, workspace), analyst)),
                 **queue_world(membership_of(owner, workspace)),
                 **sanction_world(membership_of(owner, workspace)),
                 **rules_world(membership_of(owner, workspace))},
        "theirs": {"slug": "autre", "member_id": membership_of(outsider, other_workspace).pk, "channel_id": theirs.pk,
                   **publishing_world(membership_of(outsider, other_workspace), outsider),
                   **inbox_world(membership_of(outsider, other_workspace)),
                   **_api_ids(routing_world(membership_of(outsider, other_workspace), outsider)),
                   **queue_world(membership_of(outsider, other_workspace)),
                   **sanction_world(membership_of(outsider, other_workspace)),
                   **rules_world(membership_of(outsider, other_workspace))},
    }


def _api_ids(world: dict) -> dict:
    """The inbox's routing ids under the names the API's paths give them (``{rule_id}`` is an inbox rule here)."""
    return {**world, "rule_id": world["inbox_rule_id"]}


def _id_keys(path: str) -> list[str]:
    return re.findall(r"\{(\w+_id)\}", path)


def _url(path: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _call(client, method, url, body=None, **kwargs):
    if body is None:
        return getattr(client, method)(url, **kwargs)
    return getattr(client, method)(url, body, content_type="application/json", **kwargs)


def _takes_json(op: dict) -> bool:
    """The route reads a JSON body (the others are uploads, ``multipart/form-data``)."""
    return "requestBody" in op and "application/json" in op["requestBody"]["content"]


def _body_schema(doc: dict, op: dict) -> dict:
    [schema] = [content["schema"] for content in op["requestBody"]["content"].values()]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _declared_types(prop: dict) -> set[str]:
    """The JSON types a body property's schema documents (``anyOf`` of a nullable field included)."""
    found = set()
    for part in [prop, *prop.get("anyOf", [])]:
        kind = part.get("type", [])
        found.update([kind] if isinstance(kind, str) else kind)
    return found


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {int: "integer", float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _body_properties(doc: dict, op: dict) -> list[str]:
    return list(_body_schema(doc, op).get("properties", {}))


def test_ids_and_slugs_of_another_workspace_are_json_404_on_every_route(targets, owner, workspace):
    client = token_client(owner, workspace)
    doc = openapi(client)
    for path, method, op in operations(doc):
        if "{" not in path:
            continue
        mixed = [{**targets["mine"], "slug": "autre"}] + [
            {**targets["mine"], key: targets["theirs"][key]} for key in _id_keys(path)]
        for values in mixed:
            body = b"{}" if "requestBody" in op else None
            assert_json_error(_call(client, method, _url(path, values), body), 404, 422)
    assert Workspace.objects.get(slug="autre").memberships.count() == 1


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "99999999999999999999999", "<script>", "1.5", "%00"])
def test_garbage_ids_in_the_path_are_json_4xx_on_every_route(targets, owner, workspace, raw):
    client = token_client(owner, workspace, raise_request_exception=False)
    for path, method, op in operations(openapi(client)):
        if "_id}" not in path:
            continue
        values = {**targets["mine"], **{k: raw for k in _id_keys(path)}}
        assert_json_error(_call(client, method, _url(path, values), b"{}" if "requestBody" in op else None))


@pytest.mark.parametrize("raw", [b"", b"[]", b"null", b"{not json", b"\xff\xfe\x00", b'"a string"', b"42", b"[{}]"])
def test_empty_or_malformed_bodies_are_json_4xx_on_every_route_that_takes_one(targets, owner, workspace, raw):
    client = token_client(owner, workspace)
    for path, method, op in operations(openapi(client)):
        if "requestBody" in op:
            data = assert_json_error(_call(client, method, _url(path, targets["mine"]), raw), 400, 422)
            if not _takes_json(op):  # an upload (multipart): the part it wants is named
                assert data["field"], data
            elif raw or op["requestBody"].get("required"):
                assert "JSON" in data["message"], data
            # else: no body at all where the body is optional; the route's own rule answers, as a JSON 4xx


def test_bodies_that_are_not_objects_get_400_saying_so(targets, owner, workspace):
    client = token_client(owner, workspace)
    for path, method, op in operations(openapi(client)):
        if _takes_json(op):
            for raw in (b"[]", b"null", b"42"):
                data = assert_json_error(_call(client, method, _url(path, targets["mine"]), raw), 400)
                assert "objet JSON" in data["message"], data


def test_a_10_mb_body_is_json_413_on_every_route_that_takes_one(targets, owner, workspace):
    client = token_client(owner, workspace)
    huge = json.dumps({"name": "x" * 10_000_000, "email": "a@b.fr", "role": "analyst"})
    for path, method, op in operations(openapi(client)):
        if _takes_json(op):  # uploads take larger bodies: their caps are test_upload_limits'.
            assert_json_error(_call(client, method, _url(path, targets["mine"]), huge), 413)


def test_wrong_types_in_every_body_field_are_json_4xx_naming_the_field(targets, owner, workspace):
    client = token_client(owner, workspace)
    doc = openapi(client)
    for path, method, op in operations(doc):
        if not _takes_json(op):
            continue  # uploads: test_hostile_uploads_are_json_4xx_or_stored_clean
        for prop in _body_properties(doc, op):
            declared = _declared_types(_body_schema(doc, op)["properties"][prop])
            for wrong in WRONG_TYPES:
                if wrong is None and method == "patch":
                    continue  # null means "leave unchanged" in a partial update
                if _json_type(wrong) in declared & {"null", "boolean"}:
                    continue  # not a wrong type here: null where null is documented, true for a true/false field
                response = _call(client, method, _url(path, targets["mine"]), json.dumps({prop: wrong}))
                data = assert_json_error(response, 400, 422)
                assert data["field"], (path, prop, wrong, data)


def test_html_and_script_strings_in_every_body_field_are_refused_or_kept_as_plain_text(targets, owner, workspace):
    client = token_client(owner, workspace)
    doc = openapi(client)
    for path, method, op in operations(doc):
        if not _takes_json(op):
            continue  # uploads: test_hostile_uploads_are_json_4xx_or_stored_clean
        for prop in _body_properties(doc, op):
            for text in HTML_STRINGS:
                response = _call(client, method, _url(path, targets["mine"]), json.dumps({prop: text}))
                assert response["Content-Type"].startswith("application/json"), (path, prop)
                if response.status_code < 400:
                    assert json.loads(response.content).get(prop) == text  # stored and returned verbatim, as data
                else:
                    assert_json_error(response, 400, 422)


def _hostile_parts(schema: dict) -> list[dict]:
    """Multipart bodies for an upload route: no file, an empty one, a text that claims to be a PNG, a name full of
    NUL and HTML; every text part hostile (NUL, HTML, 100,000 characters)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def is_file(prop: dict) -> bool:
        return prop.get("format") == "binary" or prop.get("items", {}).get("format") == "binary"

    props = schema.get("properties", {})
    files = [name for name, prop in props.items() if is_file(prop)]
    texts = [name for name in props if name not in files]
    bodies = []
    for text in ("\x00<script>alert(1)</script>", "x" * 100_000):
        bodies.append(dict.fromkeys(texts, text))
        for name, content, kind in [("vide.png", b"", "image/png"), ("affiche.png", b"pas une image", "image/png"),
                                    ("a\x00<img src=x onerror=alert(1)>.png", png_bytes(), "image/png")]:
            bodies.append({**dict.fromkeys(texts, text),
                           **{f: SimpleUploadedFile(name, content, content_type=kind) for f in files}})
    return bodies


def test_hostile_uploads_are_json_4xx_or_stored_clean(targets, owner, workspace):
    from comptoir.publishing.models import MediaAsset, RequestAttachment

    client = token_client(owner, workspace)
    doc = openapi(client)
    seen = 0
    for path, method, op in operations(doc):
        if "requestBody" not in op or _takes_json(op):
            continue
        for body in _hostile_parts(_body_schema(doc, op)):
            response = getattr(client, method)(_url(path, targets["mine"]), body)
            assert response["Content-Type"].startswith("application/json"), (path, response.status_code)
            if response.status_code >= 400:
                data = assert_json_error(response, 400, 413, 422)
                assert data["field"], (path, data)
        seen += 1
    assert seen >= 2
    for name in [*MediaAsset.objects.values_list("filename", "alt_text", "title"),
                 *RequestAttachment.objects.values_list("filename", flat=True)]:
        assert "\x00" not in str(name), name


@pytest.mark.parametrize("query", ["limit=-1", "limit=abc", "limit=100000", "offset=-5", "action=" + "x" * 500,
                                   "limit=1&limit=2", "action=<script>alert(1)</script>"])
def test_hostile_query_strings_are_json_4xx_or_answered(targets, owner, workspace, query):
    client = token_client(owner, workspace)
    for path, method, op in operations(openapi(client)):
        if method == "get" and any(p["in"] == "query" for p in op.get("parameters", [])):
            response = client.get(f"{_url(path, targets['mine'])}?{query}")
            assert response["Content-Type"].startswith("application/json")
            if response.status_code >= 400:
                assert_json_error(response, 422)


# Errors produced outside the routes ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v1/workspaces/velo/nope/", "/api/v2/workspaces", "/api/"])
def test_unknown_addresses_under_the_api_are_json_404_in_the_token_owners_language(workspace, cm, url):
    cm.language = "en"
    cm.save()
    data = assert_json_error(token_client(cm, workspace).get(url, HTTP_ACCEPT_LANGUAGE="fr"), 404)
    assert "Not found" in data["message"]


def test_a_method_the_route_does_not_have_is_json_405_naming_the_allowed_ones(workspace, cm):
    for method, url in [("delete", "/api/v1/workspaces"), ("put", "/api/v1/workspaces/velo"), ("post", "/api/v1/workspaces/velo")]:
        response = getattr(token_client(cm, workspace), method)(url)
        data = assert_json_error(response, 405)
        assert "GET" in data["message"] and "GET" in response["Allow"]


def test_without_a_token_errors_follow_the_browser_language(workspace):
    data = assert_json_error(Client().get("/api/v1/workspaces", HTTP_ACCEPT_LANGUAGE="en"), 401)
    assert "Missing or invalid API token" in data["message"]


def test_schema_errors_are_translated_for_the_token_owner(workspace, cm):
    client = token_client(cm, workspace)
    data = assert_json_error(client.post("/api/v1/workspaces/velo/invitations", {"role": "analyst"},
                                         content_type="application/json"), 422)
    assert data["field"] == "email" and "obligatoire" in data["message"]
    cm.language = "en"
    cm.save()
    data = assert_json_error(client.patch("/api/v1/workspaces/velo", {"name": ["a"]}, content_type="application/json"), 422)
    assert data["field"] == "name" and "text" in data["message"]
    data = assert_json_error(client.patch("/api/v1/workspaces/velo", b"{nope", content_type="application/json"), 400)
    assert "not valid JSON" in data["message"]


def _channels_table_down(execute, sql, params, many, context):
    if "workspaces_channel" in sql:
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def test_a_crash_inside_a_route_is_a_json_500_and_is_logged(workspace, cm, caplog):
    client = token_client(cm, workspace, raise_request_exception=False)
    with connection.execute_wrapper(_channels_table_down):
        response = client.get("/api/v1/workspaces/velo/channels")
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["message"]
    assert "server closed the connection" in caplog.text


def test_a_crash_before_the_route_is_a_json_500_too(settings, workspace, cm):
    settings.DEBUG = False
    client = token_client(cm, workspace, raise_request_exception=False)
    client.force_login(cm)  # the session is read (and fails) before the API sees the request
    with connection.execute_wrapper(lambda *a: (_ for _ in ()).throw(OperationalError("database is down"))):
        response = client.get("/api/v1/workspaces", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert "Something went wrong" in json.loads(response.content)["message"]


def test_token_guesses_on_unknown_addresses_count_like_any_other(db, settings):
    settings.COMPTOIR_ADDRESS_FREE_ATTEMPTS = 3
    for n in range(3):
        assert_json_error(Client(HTTP_AUTHORIZATION=f"Bearer cpt_guess{n}").get("/api/v1/nope"), 404)
    assert_json_error(Client(HTTP_AUTHORIZATION="Bearer cpt_guess").get("/api/v1/workspaces"), 429)
