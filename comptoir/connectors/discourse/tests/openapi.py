"""Fake Discourse answers built from Discourse's own OpenAPI description, and checks of our requests.

``response(path, method, **overrides)`` returns a JSON object that has every property the
schema requires (filled with the schema's example or a neutral value), with ``overrides``
deep-merged in, and raises if the result does not match the schema — so a test cannot invent
a field Discourse does not document, nor forget one it requires. ``check_request`` does the
same for the bodies the connector sends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPEC = json.loads((Path(__file__).parent / "data" / "openapi-subset.json").read_text(encoding="utf-8"))

_NEUTRAL = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": [], "null": None}


class SchemaMismatch(AssertionError):
    pass


def _operation(path: str, method: str) -> dict[str, Any]:
    try:
        return SPEC["paths"][path][method.lower()]
    except KeyError:
        raise KeyError(f"{method.upper()} {path} is not in the vendored OpenAPI subset") from None


def response_schema(path: str, method: str, status: str = "200") -> dict[str, Any]:
    return _operation(path, method)["responses"][status]["content"]["application/json"]["schema"]


def request_schema(path: str, method: str) -> dict[str, Any]:
    return _operation(path, method)["requestBody"]["content"]["application/json"]["schema"]


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return ["object"] if "properties" in schema else []
    return kind if isinstance(kind, list) else [kind]


def build(schema: dict[str, Any], override: Any = ...) -> Any:
    """A value for ``schema``: ``override`` merged onto the required defaults."""
    types = _types(schema)
    if "object" in types and (override is ... or isinstance(override, dict)):
        result = {}
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            result[name] = build(properties.get(name, {}))
        for name, value in (override if isinstance(override, dict) else {}).items():
            result[name] = build(properties.get(name, {}), value)
        return result
    if "array" in types and isinstance(override, list):
        return [build(schema.get("items", {}), value) for value in override]
    if override is not ...:
        return override
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    for kind in types:
        if kind in _NEUTRAL:
            return _NEUTRAL[kind]
    return None


def validate(value: Any, schema: dict[str, Any], where: str = "$") -> None:
    types = _types(schema)
    if types:
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }
        if not any(checks[t](value) for t in types if t in checks):
            raise SchemaMismatch(f"{where}: {value!r} is not of type {types}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaMismatch(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                raise SchemaMismatch(f"{where}: missing required {name!r}")
        for name, item in value.items():
            if name in properties:
                validate(item, properties[name], f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                raise SchemaMismatch(f"{where}: {name!r} is not documented")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            validate(item, schema["items"], f"{where}[{index}]")


def response(path: str, method: str, status: str = "200", **overrides: Any) -> Any:
    schema = response_schema(path, method, status)
    value = build(schema, overrides)
    validate(value, schema)
    return value


def check_request(
    path: str, method: str, body: dict[str, Any], *, undocumented: tuple[str, ...] = ()
) -> None:
    """Validate a request body; ``undocumented`` names keys Discourse reads but does not document."""
    validate({k: v for k, v in body.items() if k not in undocumented}, request_schema(path, method))
