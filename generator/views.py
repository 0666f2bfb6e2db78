"""What the templates need about each endpoint, computed here so templates hold no logic:
signatures, type expressions, literals for the tests, the request the client must send.

`Endpoint` + `Registry` -> `EndpointView` (the endpoint's keys and the computed ones).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from generator import escape, layout, naming, samples
from generator.normalize import DEFS_REF, resolve
from generator.registry_types import Endpoint, Parameter, Registry, Request, Schema

# What the templates read, by key (Jinja is untyped): an endpoint's view is its registry entry
# plus what is computed here; an argument's view is one call argument of its method.
EndpointView = dict[str, Any]
ArgumentView = dict[str, Any]

PY_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "object": "dict[str, Any]",
    "null": "None",
}
LOCATIONS = ("path", "query", "header", "cookie")


def curl_auth(endpoint: Endpoint, registry: Registry) -> list[str]:
    """curl options that send the first alternative of the endpoint's security."""
    schemes = registry.get("security_schemes", {})
    options = []
    for ident in (endpoint.get("security") or [[]])[0]:
        scheme = schemes.get(ident)
        if scheme is None:
            continue
        env = "$" + scheme["env"]
        if scheme["basic"]:
            options.append(f'-u "{env}"')
        elif scheme["in"] == "header":
            prefix = f"{scheme['prefix']} " if scheme["prefix"] else ""
            options.append(
                "-H " + escape.sh_quote(f"{scheme['name']}: {prefix}") + f'"{env}"'
            )
        elif scheme["in"] == "cookie":
            options.append("-b " + escape.sh_quote(f"{scheme['name']}=") + f'"{env}"')
        else:
            options.append(
                "--url-query " + escape.sh_quote(f"{scheme['name']}=") + f'"{env}"'
            )
    return options


def endpoint_view(
    endpoint: Endpoint,
    registry: Registry,
    roots: dict[str, str] | None = None,
) -> EndpointView:
    """Registry endpoint -> what its templates read. `roots`: {model: item model} of the list
    models (models.list_roots), which the methods return unwrapped."""
    defs = registry["schemas"]
    names = endpoint["names"]
    request = endpoint["request"]
    args = [
        param_argument(param, defs)
        for location in LOCATIONS
        for param in endpoint["parameters"]
        if param["in"] == location
    ]
    body_args = body_arguments(request, defs) if request else []
    kwargs = _example_kwargs(args, body_args, request, defs)
    view: EndpointView = {
        **endpoint,
        "is_queue": endpoint["queue"] is not None,
        "args": args + body_args,
        "param_args": args,
        "body_args": [a for a in body_args if a["location"] == "body"],
        "file_args": [a for a in body_args if a["location"] == "file"],
        "whole_body": next(
            (a for a in body_args if a["location"] == "whole_body"), None
        ),
        "file_fields": [
            (a["wire"], tuple_expr(a["file_types"]))
            for a in body_args
            if a["file_types"] is not None
        ],
        # (argument, Python source of its example value): file uploads are (name, bytes) pairs
        "example_kwargs": [
            (a["py"], _value_source(a, kwargs[a["py"]]))
            for a in args + body_args
            if a["py"] in kwargs
        ],
        # the same, as the items of the tests' KWARGS dict, laid out as black leaves them
        "kwargs_lines": [
            _kwargs_line(a, kwargs[a["py"]])
            for a in args + body_args
            if a["py"] in kwargs
        ],
        "request_schema": _request_schema(request, defs),
        "example": _example(request, defs),
        "negative_cases": negative_views(args, body_args, request, defs, kwargs),
        "response_examples": response_examples(endpoint, defs),
        "curl_auth": curl_auth(endpoint, registry),
        # where the method sits on the client: `user.login`, or `get_user` when flat
        "call": ".".join(
            [*names.get("namespace", []), names.get("method", names["attribute"])]
        ),
    }
    if endpoint["queue"] is not None:
        output = names["output_model"]
        view["output_type"] = f"models.{output}" if output else "dict[str, Any]"
        view["output_type_check"] = f"models.{output}" if output else "dict"
        view["expected_body"] = expected_fields(body_args, kwargs)
    else:
        view.update(rest_view(endpoint, args, body_args, kwargs, defs, roots or {}))
    return view


def _argument(
    py: str,
    wire: str,
    location: str,
    required: bool,
    schema: dict[str, Any],
    defs: dict[str, Schema],
    **extra: Any,
) -> ArgumentView:
    has_default = "default" in schema and not required
    annotation = extra.pop("annotation", None) or type_expr(schema, defs)
    return {
        "py": py,
        "wire": wire,
        "location": location,
        "required": required,
        "type_expr": annotation,
        "annotation": (
            annotation if required or has_default else union([annotation, "None"])
        ),
        "default_expr": escape.py_literal(schema["default"]) if has_default else "None",
        # plain endpoints: NOT_GIVEN leaves an argument out, None sends null where allowed
        "rest_annotation": (
            annotation
            if required or has_default
            else union([annotation, "rest.NotGiven"])
        ),
        "rest_default_expr": (
            escape.py_literal(schema["default"]) if has_default else "rest.NOT_GIVEN"
        ),
        "nullable": is_nullable(schema, defs),
        "has_default": has_default,
        # a list or dict default, written as a literal in the signature (never mutated)
        "mutable_default": has_default and isinstance(schema["default"], (list, dict)),
        "default": schema.get("default"),
        "description": str(schema.get("description") or ""),
        "schema": schema,
        "summary": constraint_summary(schema),
        "range": (
            f"{schema.get('minimum', '')} – {schema.get('maximum', '')}"
            if "minimum" in schema or "maximum" in schema
            else ""
        ),
        "enum": schema.get("enum") or [],
        "file_types": extra.get("file_types"),
    }


def param_argument(param: Parameter, defs: dict[str, Schema]) -> ArgumentView:
    schema = dict(param["schema"])
    if param["description"] and "description" not in schema:
        schema["description"] = param["description"]
    return _argument(
        param["python_name"],
        param["name"],
        param["in"],
        param["required"],
        schema,
        defs,
    )


def body_arguments(request: Request, defs: dict[str, Schema]) -> list[ArgumentView]:
    if request["body_param"]:
        annotation = "str | bytes" if request["encoding"] == "raw" else None
        return [
            _argument(
                request["body_param"],
                "",
                "whole_body",
                request["required"],
                request["schema"],
                defs,
                annotation=annotation,
            )
        ]
    body = resolve(request["schema"], defs)
    properties = body.get("properties", {})
    result = []
    for field in request["fields"]:
        schema = properties.get(field["name"], {})
        schema = schema if isinstance(schema, dict) else {}
        if field["binary"]:
            result.append(
                _argument(
                    field["python_name"],
                    field["name"],
                    "file",
                    field["required"],
                    schema,
                    defs,
                    annotation="Path | bytes | tuple[str, bytes]",
                )
            )
        elif field["file_types"] is not None:
            result.append(
                _argument(
                    field["python_name"],
                    field["name"],
                    "body",
                    field["required"],
                    schema,
                    defs,
                    annotation="str | Path | bytes",
                    file_types=field["file_types"],
                )
            )
        else:
            result.append(
                _argument(
                    field["python_name"],
                    field["name"],
                    "body",
                    field["required"],
                    schema,
                    defs,
                )
            )
    return result


def is_nullable(schema: Any, defs: dict[str, Schema], depth: int = 0) -> bool:
    """Whether JSON null satisfies the schema's type (type lists, `nullable`, null branches)."""
    if not isinstance(schema, dict) or depth > 8:
        return False
    if "$ref" in schema:
        return is_nullable(resolve(schema, defs), defs, depth + 1)
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if schema.get("nullable") is True:
        return True
    return any(
        is_nullable(branch, defs, depth + 1)
        for key in ("anyOf", "oneOf")
        for branch in schema.get(key) or []
    )


def tuple_expr(values: list[Any]) -> str:
    items = ", ".join(escape.py_literal(value) for value in values)
    return f"({items},)" if len(values) == 1 else f"({items})"


def type_expr(schema: Any, defs: dict[str, Schema], depth: int = 0) -> str:
    """A Python type for a schema: Literal for enums, models for shared objects, Any when unsure."""
    if not isinstance(schema, dict) or depth > 8:
        return "Any"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(DEFS_REF):
        name = ref[len(DEFS_REF) :]
        target = defs.get(name, {})
        if (
            isinstance(target, dict)
            and isinstance(target.get("properties"), dict)
            and target.get("type", "object") == "object"
        ):
            return f"models.{name} | dict[str, Any]"
        return type_expr(target, defs, depth + 1)
    if schema.get("enum") and all(
        isinstance(v, (str, int, bool)) or v is None for v in schema["enum"]
    ):
        # null is `None` beside the Literal, never inside it (`Literal[None]` is `None`)
        values = [v for v in schema["enum"] if v is not None]
        literal = (
            ["Literal[" + ", ".join(escape.py_literal(v) for v in values) + "]"]
            if values
            else []
        )
        return union(literal + (["None"] if len(values) < len(schema["enum"]) else []))
    kind = schema.get("type")
    if isinstance(kind, list):
        parts = [
            type_expr({**schema, "type": k}, defs, depth + 1)
            for k in kind
            if k != "null"
        ]
        if "float" in parts:
            parts = [
                p for p in parts if p != "int"
            ]  # an int is a float to a type checker
        return (
            union(parts + (["None"] if "null" in kind else []))
            if parts and "Any" not in parts
            else "Any"
        )
    if kind == "array":
        return f"list[{type_expr(schema.get('items'), defs, depth + 1)}]"
    if kind == "string" and schema.get("format") == "binary":
        return "bytes"
    return PY_TYPES.get(str(kind), "Any")


def union(parts: list[str]) -> str:
    """`A | B | ...` with each member once (members that are unions themselves included)."""
    members: list[str] = []
    for part in parts:
        members += _members(part)
    return " | ".join(dict.fromkeys(members))


def _members(annotation: str) -> list[str]:
    """The top-level members of a union annotation: `list[int | str] | None` has two, and so
    has `Literal["a | b"] | None` (string literals are skipped, escapes included)."""
    members, depth, start, quoted, escaped = [], 0, 0, False, False
    for index, char in enumerate(annotation):
        if not quoted:
            depth += (char in "[(") - (char in "])")
        if escaped:
            escaped = False
        elif quoted:
            escaped, quoted = char == "\\", char != '"'
        elif char == '"':
            quoted = True
        elif char == "|" and depth == 0:
            members.append(annotation[start:index].strip())
            start = index + 1
    members.append(annotation[start:].strip())
    return [m for m in members if m]


def constraint_summary(schema: dict[str, Any]) -> str:
    parts = []
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '')}–{schema.get('maximum', '')}")
    if "enum" in schema:
        parts.append(
            "one of "
            + ", ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
        )
    if "default" in schema:
        parts.append("default " + json.dumps(schema["default"], ensure_ascii=False))
    if schema.get("x-file-types"):
        parts.append("file types " + ", ".join(schema["x-file-types"]))
    return "; ".join(parts)


def _request_schema(request: Request | None, defs: dict[str, Schema]) -> Any:
    """The schema the request example is checked against. A raw body (XML, msgpack) is sent
    as the text or bytes given: when its documented schema describes the decoded document
    (an object) and no documented example fits it, the example is checked as what is sent.
    """
    if not request:
        return {}
    if request["encoding"] == "raw" and not samples.is_valid(
        _example(request, defs), request["schema"], defs
    ):
        return {"type": "string"}
    return request["schema"]


def _example(request: Request | None, defs: dict[str, Schema]) -> Any:
    """The documented request example when it satisfies the schema, else one built from it."""
    if not request:
        return {}
    found, example = samples.first_valid(request["examples"], request["schema"], defs)
    if found:
        return example
    if request["encoding"] == "raw":
        return (
            request["examples"][0]
            if request["examples"] and isinstance(request["examples"][0], str)
            else "x"
        )
    return samples.valid_value(request["schema"], defs, required_only=True)[1]


def _example_kwargs(
    args: list[ArgumentView],
    body_args: list[ArgumentView],
    request: Request | None,
    defs: dict[str, Schema],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for arg in args:
        example = arg["schema"].get("example")
        if arg["required"]:
            values[arg["py"]] = (
                example
                if example is not None
                and samples.is_valid(example, arg["schema"], defs)
                else samples.valid_value(arg["schema"], defs, name=arg["wire"])[1]
            )
    example = _example(request, defs)
    for arg in body_args:
        if arg["location"] == "whole_body":
            values[arg["py"]] = example
        elif arg["location"] == "file":
            if arg["required"]:
                values[arg["py"]] = UPLOAD
        elif isinstance(example, dict) and arg["wire"] in example:
            values[arg["py"]] = example[arg["wire"]]
    return values


UPLOAD = ("upload.bin", "file content")


def _kwargs_line(arg: ArgumentView, value: Any) -> str:
    key = escape.py_str(arg["py"]) + ": "
    if arg["location"] == "file":
        return f"    {key}{_value_source(arg, value)},"
    return layout.literal_lines(key, value, ",", indent=4)


def _value_source(arg: ArgumentView, value: Any) -> str:
    if arg["location"] == "file":
        return f"({escape.py_str(UPLOAD[0])}, {escape.py_bytes(UPLOAD[1])})"
    return escape.py_literal(value)


def expected_fields(
    body_args: list[ArgumentView], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The body fields the client sends: what was passed, documented defaults for the rest."""
    body = {}
    for arg in body_args:
        if arg["location"] != "body":
            continue
        if arg["py"] in kwargs:
            body[arg["wire"]] = kwargs[arg["py"]]
        elif arg["has_default"]:
            body[arg["wire"]] = arg["default"]
    return body


def wire_text(value: Any) -> str:
    """A parameter value as the client puts it on the wire: must match `_rest._text` in the
    runtime template (which cannot import the generator)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def query_texts(value: Any, style: str = "form", explode: bool = True) -> list[str]:
    """A scalar or array parameter as OpenAPI serializes it into the query: form + explode
    repeats the key, otherwise one value joined by `,` (form), space or `|`."""
    if not isinstance(value, list):
        return [wire_text(value)]
    if explode and style != "json":
        return [wire_text(item) for item in value]
    if style == "json":
        return [json.dumps(value, separators=(",", ":"), ensure_ascii=False)]
    joiner = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
    return [joiner.join(wire_text(item) for item in value)]


def defined(value: Any) -> Any:
    """A parameter value without its undefined parts (RFC 6570 §2.3): must match
    `_rest.defined` in the runtime template. None when nothing is left."""
    if isinstance(value, list):
        value = [item for item in value if item is not None]
    elif isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
    return None if value == [] or value == {} else value


def expected_query(params: list[tuple[str, Any, Parameter]]) -> dict[str, list[str]]:
    """The query the client sends for (wire name, value, parameter): every text of each key,
    as `_rest.build_call` serializes it (objects by property, exploded objects sharing a key
    and value once)."""
    pairs: list[tuple[str, str]] = []
    for wire, value, param in params:
        value = defined(value)
        if value is None:
            continue  # undefined: not sent
        style, explode = param.get("style", "form"), param.get("explode", True)
        if not isinstance(value, dict) or style == "json":
            pairs += [(wire, text) for text in query_texts(value, style, explode)]
        elif style == "deepObject":
            pairs += [(f"{wire}[{k}]", wire_text(v)) for k, v in value.items()]
        elif explode:
            pairs += [
                (str(k), wire_text(v))
                for k, v in value.items()
                if (str(k), wire_text(v)) not in pairs
            ]
        else:
            texts = [part for k, v in value.items() for part in (str(k), wire_text(v))]
            pairs.append((wire, ",".join(texts)))
    found: dict[str, list[str]] = {}
    for key, text in pairs:
        found.setdefault(key, []).append(text)
    return found


def _form_texts(body: Any) -> dict[str, list[str]]:
    """Form fields as the client encodes them (OpenAPI's default `form`, explode): every
    value of each key, an array's items as repeated keys."""
    return {name: query_texts(value) for name, value in (body or {}).items()}


def rest_view(
    endpoint: Endpoint,
    args: list[ArgumentView],
    body_args: list[ArgumentView],
    kwargs: dict[str, Any],
    defs: dict[str, Schema],
    roots: dict[str, str],
) -> EndpointView:
    """The operation literal, the wire request the tests expect, and the answer the mock gives."""
    sent = {
        arg["py"]: kwargs[arg["py"]] if arg["py"] in kwargs else arg["default"]
        for arg in args
        if arg["py"] in kwargs or arg["has_default"]
    }
    path = endpoint["path"]
    for arg in args:
        if arg["location"] == "path" and arg["py"] in sent:
            value = sent[arg["py"]]
            text = (
                ",".join(quote(wire_text(item), safe="") for item in value)
                if isinstance(value, list)
                else quote(wire_text(value), safe="")
            )
            path = path.replace("{" + arg["wire"] + "}", text)
    request = endpoint["request"]
    encoding = request["encoding"] if request else None
    whole = next((a for a in body_args if a["location"] == "whole_body"), None)
    expected_body: Any = (
        kwargs.get(whole["py"]) if whole else expected_fields(body_args, kwargs)
    )
    if (
        request
        and not whole
        and not request["required"]
        and not expected_body
        and not any(a["py"] in kwargs for a in body_args)
    ):
        expected_body = None  # an optional body with no field given is not sent
    ok = answer(endpoint, defs)
    returns = [
        r for r in endpoint["responses"] if 200 <= r["code"] < 300 and r.get("model")
    ]
    return {
        "path_pattern": path_pattern(endpoint["path"]),
        "multipart_names": [
            a["wire"]
            for a in body_args
            if a["location"] in ("body", "file") and a["py"] in kwargs
        ],
        "own_auth": any(
            arg["location"] == "header" and arg["wire"].lower() == "authorization"
            for arg in args
        ),
        "param_specs": [[arg["py"], arg["wire"], arg["location"]] for arg in args],
        "operation_name": "_" + endpoint["names"]["attribute"].upper(),
        "encoding": encoding,
        "content_type": request["content_type"] if request else None,
        "expected_path": path,
        "expected_query": expected_query(
            [
                (arg["wire"], sent[arg["py"]], param)
                for arg, param in zip(args, ordered_params(endpoint), strict=True)
                if arg["location"] == "query" and arg["py"] in sent
            ]
        ),
        "expected_body": (
            expected_body if encoding in ("json", "raw") else _form_texts(expected_body)
        ),
        "return_type": (
            " | ".join(
                (
                    f"list[models.{roots[r['model']]}]"
                    if r["model"] in roots
                    else f"models.{r['model']}"
                )
                for r in returns
            )
            if returns
            else "Any"
        ),
        # statuses whose list model is answered as the list itself
        "unwrap": sorted(r["code"] for r in returns if r["model"] in roots),
        "answer": ok,
        "answer_check": f"models.{ok['model']}" if ok["model"] else None,
        "answer_unwrap": ok["model"] in roots and 200 <= ok["code"] < 300,
        "mock_responses": mock_responses(endpoint, defs),
        "response_models": [(r["code"], r.get("model")) for r in endpoint["responses"]],
        "styles": [
            (arg["py"], param["style"], param["explode"])
            for arg, param in zip(args, ordered_params(endpoint), strict=True)
            if "style" in param
        ],
        "nullable_names": sorted(
            {a["py"] for a in args if a["nullable"]}
            | {
                a["wire"]
                for a in body_args
                if a["nullable"] and a["location"] == "body"
            }
        ),
        "body_required": bool(request and request["required"]),
        "ranges": [
            (r["range"], r.get("model"))
            for r in endpoint["responses"]
            if r.get("range")
        ],
        "security": endpoint["security"],
        "operation_base_url": endpoint.get("base_url", ""),
        "accept": ", ".join(
            dict.fromkeys(
                r["content_type"] for r in endpoint["responses"] if r["content_type"]
            )
        ),
        "media_types": [
            (r["code"], r["content_type"])
            for r in endpoint["responses"]
            if r["content_type"]
        ],
    }


def ordered_params(endpoint: Endpoint) -> list[Parameter]:
    """The parameters in the order of the arguments (by location)."""
    return [
        param
        for location in LOCATIONS
        for param in endpoint["parameters"]
        if param["in"] == location
    ]


def path_pattern(template: str) -> str:
    """A regex for a path template: `/users/{id}` -> `^/users/(?P<p0>[^/]+)$` (groups in order)."""
    parts = re.split(r"(\{[^}]*\})", template)
    pattern, index = "", 0
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            pattern += f"(?P<p{index}>[^/]+)"
            index += 1
        else:
            pattern += re.escape(part)
    return f"^{pattern}$"


def answer(endpoint: Endpoint, defs: dict[str, Schema]) -> dict[str, Any]:
    """What the mock answers: the first 2xx response (or, when the docs give none, the first
    documented one: an operation documented as 405 answers 405), with a documented example that
    satisfies its schema, else a valid value generated from the schema."""
    documented = sorted(endpoint["responses"], key=lambda r: r["code"])
    success = [r for r in documented if 200 <= r["code"] < 300] or documented
    if not success:
        return {"code": 204, "content_type": "", "body": None, "model": None}
    response = success[0]
    content_type = response["content_type"]
    if "*" in content_type:
        # `*/*` or `application/*` names no type to answer in: JSON is one it allows
        content_type = "application/json"
    if not content_type:
        return {
            "code": response["code"],
            "content_type": "",
            "body": None,
            "model": None,
        }
    schema, defs = samples.answer_schema(response["schema"], defs)
    found, body = samples.first_valid(response["examples"], schema, defs)
    if not found:
        body = (
            samples.valid_value(schema, defs)[1]
            if content_type.endswith("json")
            else "ok"
        )
    if not content_type.endswith("json") and not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False)  # a text answer carries text
    return {
        "code": response["code"],
        "content_type": content_type,
        "body": body,
        "model": response.get("model"),
    }


def mock_responses(endpoint: Endpoint, defs: dict[str, Schema]) -> list[dict[str, Any]]:
    """Every documented response, for the mock's `Prefer: code=N` / `Prefer: example=NAME`:
    its examples as documented, and a body built from its schema when it has none."""
    found = []
    for response in endpoint["responses"]:
        content_type = response["content_type"]
        json_body = content_type.endswith("json")
        if not content_type:
            built: Any = None
        elif json_body:
            built = samples.build(response["schema"], defs, required_only=False)
        else:
            built = "ok"
        examples = [
            (
                example
                if json_body or isinstance(example, str)
                else json.dumps(example, ensure_ascii=False)
            )
            for example in response["examples"]
        ]
        found.append(
            {
                "code": response["code"],
                "name": response["name"],
                "content_type": content_type,
                "examples": examples if content_type else [],
                "built": built,
            }
        )
    return found


def negative_views(
    args: list[ArgumentView],
    body_args: list[ArgumentView],
    request: Request | None,
    defs: dict[str, Schema],
    kwargs: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One invalid call per constraint of a parameter or a body field."""
    cases = []
    params = {"properties": {a["wire"]: a["schema"] for a in args}}
    # None is a value (JSON null) where the schema takes null, not a missing argument
    for case in samples.negative_cases(
        params, [a["wire"] for a in args if a["required"] and not a["nullable"]]
    ):
        cases.append(
            {**case, "py": next(a["py"] for a in args if a["wire"] == case["field"])}
        )
    fields = [a for a in body_args if a["location"] == "body"]
    if fields:
        body = {"properties": {a["wire"]: resolve(a["schema"], defs) for a in fields}}
        for case in samples.negative_cases(
            body, [a["wire"] for a in fields if a["required"] and not a["nullable"]]
        ):
            py = next(a["py"] for a in fields if a["wire"] == case["field"])
            if (
                case["constraint"] == "required"
                and kwargs is not None
                and request
                and not request["required"]
                and not any(
                    (a["py"] in kwargs or a.get("has_default")) and a["py"] != py
                    for a in body_args
                )
            ):
                continue  # without it no field is given: an optional body is not sent
            cases.append({**case, "py": py})
    return cases


def response_examples(
    endpoint: Endpoint, defs: dict[str, Schema]
) -> list[dict[str, Any]]:
    """Documented JSON response examples, and whether each satisfies its schema (a contradicted
    one becomes a strict xfail: the docs are wrong, and the test says so until they are fixed).
    """
    found = []
    for response in endpoint["responses"]:
        if not response["content_type"].endswith("json"):
            continue
        for example in response["examples"]:
            found.append(
                {
                    "code": response["code"],
                    "schema": response["schema"],
                    "example": example,
                    "valid": samples.is_valid(example, response["schema"], defs),
                }
            )
    return found


def namespace_views(endpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resource namespaces of the client, parents before children: each with its
    attribute, class names, folder title, nested namespaces and plain endpoints."""
    nodes: dict[tuple[str, ...], dict[str, Any]] = {}
    classes: set[str] = set()

    def node(path: tuple[str, ...], title: str) -> dict[str, Any]:
        if path not in nodes:
            cls = naming.unique(naming.pascal("_".join(path)) + "Resource", classes)
            nodes[path] = {
                "path": list(path),
                "attribute": path[-1],
                "class": cls,
                "title": title,
                "children": [],
                "endpoints": [],
            }
            if path[:-1]:
                nodes[path[:-1]]["children"].append(nodes[path])
        return nodes[path]

    for endpoint in sorted(endpoints, key=lambda e: e["names"].get("namespace", [])):
        path = tuple(endpoint["names"].get("namespace", []))
        for depth in range(1, len(path) + 1):
            node(path[:depth], endpoint["group"][depth - 1])
        if path:
            nodes[path]["endpoints"].append(endpoint)
    return [nodes[path] for path in sorted(nodes)]
