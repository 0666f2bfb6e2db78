"""SourceEndpoints -> registry endpoints: names, cleaned schemas, lifted constraints, queue facts."""

from __future__ import annotations

from typing import Any

from generator import naming, prose
from generator.config import Config
from generator.diagnostics import Report
from generator.readers.source import SourceEndpoint, SourceResponse

QUEUE_KEYS = {"request_id", "status_url", "response_url"}
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "gif", "avif"]


def endpoints(sources: list[SourceEndpoint], config: Config, report: Report) -> list[dict[str, Any]]:
    sources = sorted(sources, key=lambda s: (s.path, s.method, s.file))
    methods_per_path: dict[str, int] = {}
    for source in sources:
        methods_per_path[source.path] = methods_per_path.get(source.path, 0) + 1
    taken: set[str] = set()
    result = []
    for source in sources:
        base = _name_base(source.path, config.strip_name_prefixes)
        if methods_per_path[source.path] > 1:
            base = f"{source.method.lower()}_{base}"
        attribute = naming.identifier(base, taken, fallback="endpoint")
        result.append(_endpoint(source, attribute, report))
    return result


def finalize(endpoints: list[dict[str, Any]]) -> None:
    """Names that depend on what overlays added: an output schema gets a model."""
    for endpoint in endpoints:
        names = endpoint["names"]
        if endpoint.get("output_schema") is not None and not names.get("output_model"):
            names["output_model"] = f"{names['class']}Output"


def _name_base(path: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def _endpoint(source: SourceEndpoint, attribute: str, report: Report) -> dict[str, Any]:
    cls = naming.pascal(attribute)
    request = _request(source, report)
    responses = [_response(source, response, report) for response in source.responses]
    return {
        "id": f"{source.method} {source.path}",
        "method": source.method,
        "path": source.path,
        "title": source.title,
        "description": source.description,
        "source": {"file": source.file, "line": source.line},
        "meta": source.meta,
        "names": {
            "attribute": attribute,
            "class": cls,
            "input_model": f"{cls}Input",
            "output_model": None,
            "test_module": f"test_{attribute}",
            "doc_page": f"{attribute}.md",
        },
        "parameters": _parameters(source),
        "request": request,
        "responses": responses,
        "queue": _queue(source.path, responses),
        "output_schema": None,
    }


def _parameters(source: SourceEndpoint) -> list[dict[str, Any]]:
    return [
        {
            "name": param.name,
            "in": param.location,
            "required": param.required,
            "description": param.description,
            "schema": clean_schema(param.schema),
        }
        for param in source.parameters
    ]


def _request(source: SourceEndpoint, report: Report) -> dict[str, Any] | None:
    if source.request is None:
        return None
    schema = clean_schema(source.request.schema or {"type": "object", "properties": {}})
    _lift_properties(schema, source, report, pointer="")
    fields = []
    taken: set[str] = set()
    required = set(schema.get("required", []))
    for wire, prop in schema.get("properties", {}).items():
        fields.append(
            {
                "name": wire,
                "python_name": naming.identifier(wire, taken),
                "required": wire in required,
                "file_types": prop.get("x-file-types"),
            }
        )
    return {
        "content_type": source.request.content_type,
        "schema": schema,
        "fields": fields,
        "examples": source.request.examples,
    }


def clean_schema(schema: Any) -> Any:
    """A copy without Apifox's editor keys, with properties in the documented order."""
    if isinstance(schema, list):
        return [clean_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    orders = schema.get("x-apifox-orders")
    cleaned = {key: clean_schema(value) for key, value in schema.items() if not key.startswith("x-apifox")}
    properties = cleaned.get("properties")
    if isinstance(properties, dict):
        # properties maps names to schemas; clean each schema, never the names
        cleaned["properties"] = {name: clean_schema(sub) for name, sub in schema["properties"].items()}
        if isinstance(orders, list):
            ordered = [name for name in orders if name in properties]
            ordered += [name for name in properties if name not in ordered]
            cleaned["properties"] = {name: cleaned["properties"][name] for name in ordered}
    return cleaned


def _lift_properties(schema: dict[str, Any], source: SourceEndpoint, report: Report, pointer: str) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        here = f"{pointer}/properties/{_escape_pointer(name)}"
        _lift(prop, name, source, report, here)
        if prop.get("type") == "object":
            _lift_properties(prop, source, report, here)
        items = prop.get("items")
        if isinstance(items, dict) and items.get("type") == "object":
            _lift_properties(items, source, report, f"{here}/items")


def _escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _lift(prop: dict[str, Any], name: str, source: SourceEndpoint, report: Report, pointer: str) -> None:
    """Apply what the description states; conflicts become warnings and the keyword is not applied."""
    declared = prop.get("type") if isinstance(prop.get("type"), str) else None
    line = source.line_of(f'"{name}"', source.request_line)
    provenance: dict[str, str] = {}

    def warn(message: str) -> None:
        report.warn(source.file, line, f"field {name!r}: {message}", f"/requestBody/jsonSchema{pointer}")

    for lifted in prose.find(str(prop.get("description") or "")):
        try:
            value = _coerce(lifted, declared)
        except prose.CoercionError as exc:
            warn(f"{lifted.keyword} from {lifted.text!r} not applied: {exc}")
            continue
        if lifted.keyword in prop and prop[lifted.keyword] != value:
            warn(f"the description says {lifted.keyword} {value!r} ({lifted.text!r}) but the schema declares {prop[lifted.keyword]!r}; kept the schema's")
            continue
        prop[lifted.keyword] = value
        provenance[lifted.keyword] = lifted.text
    if "x-file-types" not in prop and _takes_image(name, prop):
        prop["x-file-types"] = list(IMAGE_TYPES)
        provenance["x-file-types"] = f"field name {name!r} names an image URL"
    _drop_conflicts(prop, provenance, warn)
    if provenance:
        prop["x-provenance"] = {key: provenance[key] for key in sorted(provenance)}


def _coerce(lifted: prose.Lifted, declared: str | None) -> Any:
    if lifted.keyword == "x-file-types":
        return lifted.value
    if lifted.keyword == "enum":
        return [prose.coerce(value, declared or "string") for value in lifted.value]
    if lifted.keyword in ("minimum", "maximum"):
        if declared not in ("integer", "number", None):
            raise prose.CoercionError(f"a range does not apply to a {declared}")
        return prose.coerce(lifted.value, declared or "number")
    return prose.coerce(lifted.value, declared)


def _takes_image(name: str, prop: dict[str, Any]) -> bool:
    return prop.get("type") == "string" and name.endswith(("image_url", "mask_url"))


def _drop_conflicts(prop: dict[str, Any], provenance: dict[str, str], warn: Any) -> None:
    """A lifted default outside the lifted range or enum is reported and dropped."""
    if "default" not in provenance:
        return
    default = prop["default"]
    low, high, enum = prop.get("minimum"), prop.get("maximum"), prop.get("enum")
    problem = None
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        if low is not None and default < low or high is not None and default > high:
            problem = f"default {default!r} is outside the range {low}-{high}"
    if enum is not None and default not in enum:
        problem = f"default {default!r} is not one of {enum}"
    if problem:
        warn(f"{problem}; the default was not applied")
        del prop["default"]
        del provenance["default"]


def _response(source: SourceEndpoint, response: SourceResponse, report: Report) -> dict[str, Any]:
    schema = clean_schema(response.schema)
    examples = response.examples
    inferred = False
    if _is_empty(schema) and examples:
        schema = infer_schema(examples)
        inferred = True
    return {
        "code": response.code,
        "name": response.name,
        "content_type": response.content_type,
        "schema": schema,
        "schema_inferred_from_examples": inferred,
        "examples": examples,
    }


def _is_empty(schema: dict[str, Any]) -> bool:
    return not schema or (schema.get("type") in ("object", None) and not schema.get("properties") and "$ref" not in schema and "items" not in schema)


def infer_schema(values: list[Any]) -> dict[str, Any]:
    """The narrowest JSON Schema every example satisfies; `null` constrains nothing."""
    present = [value for value in values if value is not None]
    if not present:
        return {}
    if all(isinstance(value, dict) for value in present):
        keys: list[str] = []
        for value in present:
            keys += [key for key in value if key not in keys]
        properties = {key: infer_schema([value[key] for value in present if key in value]) for key in keys}
        required = [key for key in keys if all(key in value for value in present)]
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema
    if all(isinstance(value, list) for value in present):
        return {"type": "array", "items": infer_schema([item for value in present for item in value])}
    kinds = {_json_type(value) for value in present}
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    return {"type": kinds.pop()} if len(kinds) == 1 else {}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def _queue(path: str, responses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A fal queue endpoint answers a submit with the envelope (request_id, status_url, ...)."""
    for response in responses:
        for example in response["examples"]:
            if isinstance(example, dict) and QUEUE_KEYS <= set(example):
                segments = path.strip("/").split("/")
                return {"app_id": "/".join(segments[:2]), "detected_from": f"response {response['code']} example"}
    return None

