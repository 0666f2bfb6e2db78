"""Values built from a JSON Schema: what the mock server answers when the docs give no example."""

from __future__ import annotations

from typing import Any


def sample(schema: Any, name: str = "") -> Any:
    """A small value that satisfies `schema` (the subset of JSON Schema the registry uses)."""
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample(schema[key][0], name)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {key: sample(sub, key) for key, sub in properties.items()}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [sample(schema.get("items"), name) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 1024 if name in ("width", "height") else 1))
    if kind == "number":
        return float(schema.get("minimum", 0.5))
    if kind == "boolean":
        return False
    if kind == "string":
        if name.endswith("url"):
            return "https://example.com/output.png"
        if name == "content_type":
            return "image/png"
        return (
            "x" * max(int(schema.get("minLength", 6)), 1)
            if name != "prompt"
            else "a cat"
        )
    return None
