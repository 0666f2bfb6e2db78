"""Registry -> {output path: text}. A pure function: writing, `check` and benchmarks reuse it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from generator import escape, models, samples
from generator.registry import dumps

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
RUNTIME_FILES = ("errors.py", "_protocol.py", "_http.py", "_files.py", "_endpoint.py", "_base.py", "_sample.py", "testing.py")
PY_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "object": "dict[str, Any]"}
VERSION = "0.1.0"
LIVE_ENV = "SPECGEN_LIVE"  # opt-in: the generated contract tests also run against the real service


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(escape.FILTERS)
    return env


def outputs(registry: dict[str, Any]) -> dict[str, str]:
    """Every generated file, unformatted, keyed by its path below the output directory."""
    package = registry["package"]
    endpoints = [endpoint_view(e) for e in registry["endpoints"]]
    context = {"package": package, "endpoints": endpoints, "registry": registry, "version": VERSION, "live_env": LIVE_ENV}
    files: dict[str, str] = {"registry.json": dumps(registry)}
    for name in RUNTIME_FILES:
        files[f"{package}/{name}"] = (TEMPLATES / "client" / "runtime" / name).read_text(encoding="utf-8")
    files[f"{package}/py.typed"] = ""
    files[f"{package}/models.py"] = models.source(registry)
    for template, target in (
        ("client/__init__.py.j2", f"{package}/__init__.py"),
        ("client/_meta.py.j2", f"{package}/_meta.py"),
        ("client/_spec.py.j2", f"{package}/_spec.py"),
        ("client/client.py.j2", f"{package}/client.py"),
        ("docs/index.md.j2", "docs/index.md"),
        ("tests/conftest.py.j2", "tests/conftest.py"),
    ):
        files[target] = render(template, context)
    for endpoint in endpoints:
        own = {**context, "ep": endpoint}
        files[f"docs/{endpoint['names']['doc_page']}"] = render("docs/endpoint.md.j2", own)
        files[f"tests/{endpoint['names']['test_module']}.py"] = render("tests/test_endpoint.py.j2", own)
    return files


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(context)


def endpoint_view(endpoint: dict[str, Any]) -> dict[str, Any]:
    """What the templates need about one endpoint, computed here rather than in Jinja."""
    request = endpoint["request"] or {"schema": {"properties": {}}, "fields": [], "examples": [], "content_type": None}
    properties = request["schema"].get("properties", {})
    params = [param_view(field, properties.get(field["name"], {})) for field in request["fields"]]
    output_model = endpoint["names"]["output_model"]
    example = samples.valid_request(request) if endpoint["request"] else {}
    return {
        **endpoint,
        "params": params,
        "file_fields": [(p["wire"], tuple_expr(p["file_types"])) for p in params if p["file_types"] is not None],
        "output_type": f"models.{output_model}" if output_model else "dict[str, Any]",
        "output_type_check": f"models.{output_model}" if output_model else "dict",
        "example": example,
        "example_kwargs": [(p["py"], example[p["wire"]]) for p in params if p["wire"] in example],
        "expected_body": expected_body(params, example),
        "negative_cases": negative_views(params, request) if endpoint["request"] else [],
        "response_examples": [
            (response["code"], response["schema"], example_value)
            for response in endpoint["responses"]
            for example_value in response["examples"]
        ],
    }


def param_view(field: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    has_default = "default" in schema
    return {
        "py": field["python_name"],
        "wire": field["name"],
        "required": field["required"],
        "type_expr": type_expr(schema, field["file_types"]),
        "default_expr": escape.py_literal(schema["default"]) if has_default else "None",
        "annotation": type_expr(schema, field["file_types"]) + ("" if field["required"] or has_default else " | None"),
        "default": schema.get("default"),
        "has_default": has_default,
        "file_types": field["file_types"],
        "description": str(schema.get("description") or ""),
        "schema": schema,
        "summary": constraint_summary(schema),
        "range": f"{schema.get('minimum', '')} – {schema.get('maximum', '')}" if "minimum" in schema or "maximum" in schema else "",
        "enum": schema.get("enum") or [],
    }


def tuple_expr(values: list[Any]) -> str:
    items = ", ".join(escape.py_literal(value) for value in values)
    return f"({items},)" if len(values) == 1 else f"({items})"


def type_expr(schema: dict[str, Any], file_types: list[str] | None) -> str:
    if file_types is not None:
        return "str | Path | bytes"
    if schema.get("enum"):
        return "Literal[" + ", ".join(escape.py_literal(value) for value in schema["enum"]) + "]"
    kind = schema.get("type")
    if isinstance(kind, list):
        parts = [type_expr({**schema, "type": k}, None) for k in kind if k != "null"]
        return " | ".join(parts + (["None"] if "null" in kind else [])) or "Any"
    if kind == "array":
        items = schema.get("items")
        return f"list[{type_expr(items, None) if isinstance(items, dict) else 'Any'}]"
    return PY_TYPES.get(str(kind), "Any")


def constraint_summary(schema: dict[str, Any]) -> str:
    parts = []
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '')}–{schema.get('maximum', '')}")
    if "enum" in schema:
        parts.append("one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"]))
    if "default" in schema:
        parts.append("default " + json.dumps(schema["default"], ensure_ascii=False))
    if schema.get("x-file-types"):
        parts.append("file types " + ", ".join(schema["x-file-types"]))
    return "; ".join(parts)


def expected_body(params: list[dict[str, Any]], example: dict[str, Any]) -> dict[str, Any]:
    """The JSON the client sends for `example`: documented defaults fill the fields it leaves out."""
    body = {}
    for param in params:
        if param["wire"] in example:
            body[param["wire"]] = example[param["wire"]]
        elif param["has_default"]:
            body[param["wire"]] = param["default"]
    return body


def negative_views(params: list[dict[str, Any]], request: dict[str, Any]) -> list[dict[str, Any]]:
    python_names = {param["wire"]: param["py"] for param in params}
    return [{**case, "py": python_names[case["field"]]} for case in samples.negative_cases(request) if case["field"] in python_names]
