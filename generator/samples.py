"""Values built from a schema: a valid request when the docs have no usable example, what the
mock answers, and the invalid values the contract tests send to prove each constraint holds.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema
from referencing import Registry

from generator.normalize import DEFS_REF

BAD_ENUM_VALUE = "not-a-documented-value"
FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "binary": "",
}


# An empty registry: jsonschema resolves only what the schema holds and never fetches.
NO_RETRIEVAL: Registry[Any] = Registry()


def validator(schema: Any, defs: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator that resolves the registry's `#/$defs/<Model>` references."""
    root = {**schema, "$defs": defs} if isinstance(schema, dict) else schema
    # An empty registry: a ref that is not local fails to resolve instead of being fetched.
    return jsonschema.Draft202012Validator(root, registry=NO_RETRIEVAL)


def is_valid(value: Any, schema: Any, defs: dict[str, Any]) -> bool:
    try:
        return bool(validator(schema, defs).is_valid(value))
    except (
        jsonschema.exceptions.SchemaError,
        jsonschema.exceptions._WrappedReferencingError,  # type: ignore[attr-defined]
        RecursionError,
    ):
        return False


def first_valid(
    examples: list[Any], schema: Any, defs: dict[str, Any]
) -> tuple[bool, Any]:
    for example in examples:
        if is_valid(example, schema, defs):
            return True, example
    return False, None


def build(
    schema: Any,
    defs: dict[str, Any],
    required_only: bool = False,
    name: str = "",
    depth: int = 0,
) -> Any:
    """A small value that satisfies `schema`."""
    if not isinstance(schema, dict) or depth > 12:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(DEFS_REF):
        return build(
            defs.get(ref[len(DEFS_REF) :], {}), defs, required_only, name, depth + 1
        )
    for key in ("default", "const"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    if (
        isinstance(schema.get("examples"), list)
        and schema["examples"]
        and is_valid(schema["examples"][0], schema, defs)
    ):
        return schema["examples"][0]
    if "example" in schema and is_valid(schema["example"], schema, defs):
        return schema["example"]
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            if key == "allOf":
                merged: dict[str, Any] = {}
                for part in schema[key]:
                    value = build(part, defs, required_only, name, depth + 1)
                    if isinstance(value, dict):
                        merged.update(value)
                return merged
            return build(schema[key][0], defs, required_only, name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        required_only = required_only or depth >= 4  # recursive models: stop growing
        return {
            key: build(sub, defs, required_only, key, depth + 1)
            for key, sub in (schema.get("properties") or {}).items()
            if isinstance(sub, dict) and (key in required or not required_only)
        }
    if kind == "array":
        if depth >= 4 and not schema.get("minItems"):
            return []  # recursive models end here
        count = max(
            int(schema.get("minItems", 1)), 1
        )  # an empty list would be "not sent" in a query
        return [
            build(schema.get("items"), defs, required_only, name, depth + 1)
            for _ in range(count)
        ]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema, name)
    return (
        "x" if kind is None else None
    )  # `{}` takes anything; a value must still be sent


def _number(schema: dict[str, Any], kind: str) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 1))
    if "exclusiveMinimum" in schema:
        low = low + 1 if kind == "integer" else low + 0.5
    value: int | float = math.ceil(low) if kind == "integer" else low
    high = schema.get("maximum")
    if high is not None and value > high:
        value = high
    return value


def _string(schema: dict[str, Any], name: str) -> str:
    types = schema.get("x-file-types")
    if types:
        return f"https://example.com/input.{types[0]}"
    if schema.get("format") in FORMATS:
        return FORMATS[schema["format"]]
    if schema.get("pattern"):
        return (
            ""  # a pattern cannot be satisfied blindly; the contract test will say so
        )
    length = int(schema.get("minLength", 1))
    text = "https://example.com/x" if name.endswith("url") else "x"
    return (
        (text * length)[: max(length, len(text))]
        if schema.get("maxLength") is None
        else "x" * max(length, 1)
    )


def negative_cases(schema: dict[str, Any], required: list[str]) -> list[dict[str, Any]]:
    """One invalid value per constraint: {field, constraint, value} (None means "left out")."""
    cases: list[dict[str, Any]] = [
        {"field": name, "constraint": "required", "value": None} for name in required
    ]
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        kind = prop.get("type")
        integer = kind == "integer"
        if kind in ("integer", "number") and isinstance(
            prop.get("minimum"), (int, float)
        ):
            low = prop["minimum"]
            cases.append(
                {
                    "field": name,
                    "constraint": "minimum",
                    "value": low - 1 if integer else math.nextafter(low, -math.inf),
                }
            )
        if kind in ("integer", "number") and isinstance(
            prop.get("maximum"), (int, float)
        ):
            high = prop["maximum"]
            cases.append(
                {
                    "field": name,
                    "constraint": "maximum",
                    "value": high + 1 if integer else math.nextafter(high, math.inf),
                }
            )
        if (
            prop.get("enum")
            and all(isinstance(v, str) for v in prop["enum"])
            and BAD_ENUM_VALUE not in prop["enum"]
        ):
            cases.append({"field": name, "constraint": "enum", "value": BAD_ENUM_VALUE})
    return cases
