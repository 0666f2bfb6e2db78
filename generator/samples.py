"""Values built from a schema: a valid request when the docs have no usable example, and the
invalid values the contract tests send to prove each constraint is enforced."""

from __future__ import annotations

import math
from typing import Any

import jsonschema

BAD_ENUM_VALUE = "not-a-documented-value"


def valid_request(request: dict[str, Any]) -> dict[str, Any]:
    """The first documented example that satisfies the schema, else one built from it."""
    schema = request["schema"]
    for example in request["examples"]:
        if isinstance(example, dict) and jsonschema.Draft202012Validator(schema).is_valid(example):
            return example
    return build(schema, required_only=True)


def build(schema: dict[str, Any], required_only: bool = False) -> Any:
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        return {
            name: build(sub)
            for name, sub in (schema.get("properties") or {}).items()
            if isinstance(sub, dict) and (name in required or not required_only)
        }
    if kind == "array":
        items = schema.get("items")
        return [build(items)] * max(int(schema.get("minItems", 0)), 1) if isinstance(items, dict) else []
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return int(math.ceil(low)) + (1 if "exclusiveMinimum" in schema else 0) if kind == "integer" else low
    if kind == "boolean":
        return True
    if kind == "string":
        types = schema.get("x-file-types")
        if types:
            return f"https://example.com/input.{types[0]}"
        return "x" * max(int(schema.get("minLength", 1)), 1)
    return None


def negative_cases(request: dict[str, Any]) -> list[dict[str, Any]]:
    """One invalid value per constraint: {field, constraint, value} (None means "left out")."""
    schema = request["schema"]
    cases: list[dict[str, Any]] = []
    for name in schema.get("required", []):
        cases.append({"field": name, "constraint": "required", "value": None})
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        integer = prop.get("type") == "integer"
        if "minimum" in prop:
            low = prop["minimum"]
            cases.append({"field": name, "constraint": "minimum", "value": low - 1 if integer else math.nextafter(low, -math.inf)})
        if "maximum" in prop:
            high = prop["maximum"]
            cases.append({"field": name, "constraint": "maximum", "value": high + 1 if integer else math.nextafter(high, math.inf)})
        if prop.get("enum") and all(isinstance(v, str) for v in prop["enum"]) and BAD_ENUM_VALUE not in prop["enum"]:
            cases.append({"field": name, "constraint": "enum", "value": BAD_ENUM_VALUE})
    return cases
