"""The native, OpenAPI and Markdown readers on real Apifox exports (tests/fixtures/apifox,
see its SOURCES.md), plus small hand-made documents for what the corpus does not show.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.diagnostics import Report, SpecError
from generator.readers import read_file, read_text
from generator.readers.refs import COMPONENTS
from generator.readers.source import SourceDocument, SourceEndpoint

FIXTURES = Path(__file__).parent / "fixtures" / "apifox"
ALL = sorted(
    path for path in FIXTURES.rglob("*") if path.is_file() and path.name != "SOURCES.md"
)
FORMATS = {
    "native": "apifox-native",
    "openapi": "openapi",
    "markdown": "apifox-markdown",
}
ENDPOINTS = {
    "native/RustDemo.api.apifox.json": 14,
    "native/apifox-idea-plugin-demo.v1_1_0.min.apifox.json": 60,
    "native/apipost-apifox1.apifox.json": 5,
    "native/apipost-apifox2.apifox.json": 7,
    "native/blog_server.apifox.json": 22,
    "native/go_ws_sh.apifox.json": 17,
    "openapi/Boyuan.默认模块.openapi.yaml": 144,
    "openapi/Lzy49.api-gateway.openapi.json": 1,
    "openapi/TaleVoice.默认模块.openapi.json": 41,
    "openapi/cxdl-study.个人项目.openapi.json": 1,
    "openapi/go_ws_sh.openapi.json": 14,
    "openapi/kubernetes_management_system.openapi.json": 5,
    "openapi/napcat.默认模块.openapi.3_1.json": 144,
    "markdown/KinhRelay-HTTP-API.md": 4,
    "markdown/go_ws_sh.md": 14,
    "markdown/kubernetes_management_system.md": 6,
}
DATA_KEYS = ("example", "examples", "enum", "default", "const")  # values, not schemas


def key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


_CACHE: dict[str, tuple[SourceDocument, Report]] = {}


def read(name: str) -> SourceDocument:
    return read_with_report(name)[0]


def read_with_report(name: str) -> tuple[SourceDocument, Report]:
    if name not in _CACHE:
        report = Report()
        _CACHE[name] = (read_file(FIXTURES / name, name, report), report)
    return _CACHE[name]


def pairs(document: SourceDocument) -> set[tuple[str, str]]:
    return {(endpoint.method, endpoint.path) for endpoint in document.endpoints}


def find(document: SourceDocument, method: str, path: str) -> SourceEndpoint:
    [endpoint] = [e for e in document.endpoints if (e.method, e.path) == (method, path)]
    return endpoint


# -- the ref checker -----------------------------------------------------------------------------


def refs_in(node: Any) -> list[str]:
    """Every $ref inside a schema (not inside example data)."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append(node["$ref"])
        for name, value in node.items():
            if name not in DATA_KEYS:
                found += refs_in(value)
    elif isinstance(node, list):
        for item in node:
            found += refs_in(item)
    return found


def schemas_of(document: SourceDocument) -> list[Any]:
    schemas: list[Any] = []
    for endpoint in document.endpoints:
        schemas += [param.schema for param in endpoint.parameters]
        schemas += [response.schema for response in endpoint.responses]
        if endpoint.request is not None:
            schemas.append(endpoint.request.schema)
    return schemas


def assert_refs_resolve(document: SourceDocument) -> None:
    """Every ref of every endpoint, and of every shared schema reached from them or listed in
    SourceDocument.schemas, names a shared schema. Each schema is visited once: cycles end.
    """
    pending = schemas_of(document) + list(document.schemas.values())
    visited: set[str] = set()
    while pending:
        for ref in refs_in(pending.pop()):
            assert ref.startswith(COMPONENTS), ref
            name = ref[len(COMPONENTS) :]
            assert (
                name in document.schemas
            ), f"{ref} names no schema of {sorted(document.schemas)}"
            if name not in visited:
                visited.add(name)
                pending.append(document.schemas[name])
    text = json.dumps([document.schemas, schemas_of(document)], ensure_ascii=False)
    assert (
        "x-apifox-refs" not in text
        and "#/definitions/" not in text
        and '"nullable"' not in text
    )


def test_the_ref_checker_ends_on_cycles_and_catches_dangling_refs() -> None:
    looped = SourceDocument(
        "x",
        "test",
        schemas={
            "A": {"properties": {"b": {"$ref": COMPONENTS + "B"}}},
            "B": {"items": {"$ref": COMPONENTS + "A"}},
        },
    )
    assert_refs_resolve(looped)
    looped.schemas["B"]["items"] = {"$ref": COMPONENTS + "C"}
    with pytest.raises(AssertionError):
        assert_refs_resolve(looped)


# -- every real export ---------------------------------------------------------------------------


def test_fixtures_are_all_listed_in_sources() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    assert sorted(key(path) for path in ALL) == sorted(ENDPOINTS)
    for path in ALL:
        assert f"| {key(path)} |" in sources


@pytest.mark.parametrize("path", ALL, ids=key)
def test_every_export_reads_with_sane_endpoints(path: Path) -> None:
    document, report = read_with_report(key(path))
    assert document.format == FORMATS[path.parent.name]
    assert len(document.endpoints) == ENDPOINTS[key(path)]
    for endpoint in document.endpoints:
        assert endpoint.method.isupper() and endpoint.method.isalpha(), endpoint.method
        assert (
            endpoint.path.startswith("/") and "://" not in endpoint.path
        ), endpoint.path
        assert endpoint.file == key(path) and endpoint.line >= 1
        assert all(response.code in range(100, 600) for response in endpoint.responses)
        assert all(
            param.location in ("path", "query", "header", "cookie")
            for param in endpoint.parameters
        )
    assert_refs_resolve(document)
    # what the readers report of these files: an API key header named "a a a", and WebDAV
    # methods (COPY, MOVE) written where OpenAPI has operations
    assert [
        w.message
        for w in report.warnings
        if "'a a a'" not in w.message and "WebDAV" not in w.message
    ] == []


# -- native --------------------------------------------------------------------------------------


def test_go_ws_sh_native_keeps_duplicates_webdav_methods_and_absolute_urls() -> None:
    document = read("native/go_ws_sh.apifox.json")
    tokens = [
        e for e in document.endpoints if (e.method, e.path) == ("POST", "/tokens")
    ]
    assert [e.title for e in tokens] == ["创建令牌"] * 3
    assert len({e.source_id for e in tokens}) == 3  # three items, three ids
    assert {e.method for e in document.endpoints} >= {"COPY", "MOVE"}
    assert find(document, "COPY", "/sessions").servers == ["http://127.0.0.1:28080"]
    assert {
        "name": "http://127.0.0.1:28080",
        "url": "http://127.0.0.1:28080",
    } in document.servers
    assert (
        find(document, "POST", "/sessions").servers == []
    )  # a relative path and no environments
    assert sorted(document.schemas) == [
        "authorization",
        "credential",
        "session",
        "token",
    ]
    body = tokens[0].request
    assert body is not None and body.schema is not None
    assert body.schema["properties"]["token"] == {"$ref": COMPONENTS + "token"}
    assert (
        body.examples[0]["authorization"]["username"] == "通鹏"
    )  # examples[].value, parsed


def test_native_line_and_pointer_locate_the_api_object() -> None:
    path = "native/go_ws_sh.apifox.json"
    lines = (FIXTURES / path).read_text(encoding="utf-8").split("\n")
    for endpoint in read(path).endpoints:
        # the line of the item's "api" key; the api's own id follows before the next item
        assert '"api": {' in lines[endpoint.line - 1]
        rest = lines[endpoint.line :]
        end = next((n for n, line in enumerate(rest) if '"api": {' in line), len(rest))
        assert any(f'"id": "{endpoint.source_id}"' in line for line in rest[:end])
        assert endpoint.pointer.startswith(
            "/apiCollection/0/items/"
        ) and endpoint.pointer.endswith("/api")


def test_go_ws_sh_is_the_same_api_in_all_three_formats() -> None:
    """Native has 17 items, OpenAPI and Markdown 14 operations: Apifox collapses the identical
    POST/DELETE /tokens items, and the absolute URLs become plain paths."""
    native, oas, md = (
        read(name)
        for name in (
            "native/go_ws_sh.apifox.json",
            "openapi/go_ws_sh.openapi.json",
            "markdown/go_ws_sh.md",
        )
    )
    assert len(pairs(native)) == 14
    assert pairs(native) == pairs(oas) == pairs(md)
    titles = [
        {(e.method, e.path, e.title) for e in doc.endpoints}
        for doc in (native, oas, md)
    ]
    assert titles[0] == titles[1] == titles[2]
    # the OpenAPI export keeps the native id in x-run-in-apifox
    assert {e.source_id for e in oas.endpoints} <= {
        e.source_id for e in native.endpoints
    }
    assert sorted(oas.schemas) == sorted(md.schemas) == sorted(native.schemas)


def test_idea_plugin_1_1_0_layout() -> None:
    document = read("native/apifox-idea-plugin-demo.v1_1_0.min.apifox.json")
    assert all(
        e.source_id is None and e.line == 1 for e in document.endpoints
    )  # no ids; one line
    assert ["一级目录", "二级目录"] in [e.folder for e in document.endpoints]
    assert {e.status for e in document.endpoints} == {
        "designing",
        "obsolete",
        "released",
        "testing",
    }
    assert all(e.deprecated == (e.status == "obsolete") for e in document.endpoints)
    assert sorted(document.schemas) == ["Case", "R«User»", "User"]
    assert (
        document.schemas["R«User»"]["properties"]["data"]["$ref"] == COMPONENTS + "User"
    )
    assert document.schemas["User"]["properties"]["name"]["type"] == ["string", "null"]
    stream = next(e for e in document.endpoints if e.title == "methodReturnStream")
    [response] = stream.responses
    assert (
        response.code == 200 and response.content_type == "text/event-stream"
    )  # code 200.0
    [param] = [p for p in document.endpoints[0].parameters if p.location == "header"]
    assert param.example == "result"


def test_blog_server_ref_bodies_resolve_to_named_schemas() -> None:
    document = read("native/blog_server.apifox.json")
    ref_bodies = [
        e.request
        for e in document.endpoints
        if e.request is not None and set(e.request.schema or {}) == {"$ref"}
    ]
    assert len(ref_bodies) == 14
    login = find(document, "POST", "/blog_server/user/login")
    assert login.request is not None and login.request.schema == {
        "$ref": COMPONENTS + "user.UserActionRequest"
    }
    assert (
        login.folder == ["用户相关接口"]
        and login.source_id == "224018663"
        and login.status == "released"
    )
    assert [r.code for r in login.responses] == [200, 400, 500]
    assert [s["name"] for s in document.servers] == ["开发环境", "测试环境", "正式环境"]
    assert login.servers == [
        "http://dev-cn.your-api-server.com",
        "https://localhost:443",
        "https://localhost:18007",
    ]


def test_multipart_file_fields_are_binary_strings() -> None:
    upload = find(
        read("native/blog_server.apifox.json"), "POST", "/upload/file"
    ).request
    assert (
        upload is not None
        and upload.content_type == "multipart/form-data"
        and upload.schema is not None
    )
    assert (
        upload.schema["properties"]["file"]["type"] == "string"
        and upload.schema["properties"]["file"]["format"] == "binary"
    )
    assert upload.schema["required"] == ["file", "file_type"]
    old = (
        read("native/apipost-apifox1.apifox.json").endpoints[1].request
    )  # `type: file`, sampleValue
    assert (
        old is not None
        and old.content_type == "multipart/form-data"
        and old.schema is not None
    )
    assert old.schema["properties"]["www"] == {
        "type": "string",
        "format": "binary",
        "description": "file",
    }
    assert old.examples == [
        {"qqq": "213213"}
    ]  # the file's local path is not an example
    audio = read("openapi/TaleVoice.默认模块.openapi.json").endpoints[0].request
    assert (
        audio is not None
        and audio.content_type == "multipart/form-data"
        and audio.schema is not None
    )
    assert audio.schema["properties"]["audio"]["format"] == "binary"


def test_oldest_export_paths_bodies_and_environments() -> None:
    document = read("native/apipost-apifox1.apifox.json")
    form, _multipart, json_body, raw, header = document.endpoints
    assert (form.method, form.path, form.servers) == (
        "POST",
        "/get.php",
        ["http://echo.apipost.cn"],
    )  # host without scheme
    assert (json_body.path, raw.path) == (
        "/www.baidu,co",
        "/wwww",
    )  # not hosts: plain segments
    assert header.folder == ["目录1"] and [
        (p.location, p.name, p.example) for p in header.parameters
    ] == [("header", "header", "12321412"), ("cookie", "aa", "123")]
    assert (
        form.request is not None
        and form.request.content_type == "application/x-www-form-urlencoded"
    )
    assert json_body.request is not None and json_body.request.examples == [
        {"a": 1233}
    ]  # old sampleValue
    assert (
        raw.request is not None
        and raw.request.content_type == "text/plain"
        and raw.request.examples == ['{\n"a":1\n}']
    )
    assert header.request is None  # type none
    html = [
        example
        for e in document.endpoints
        for r in e.responses
        for example in r.examples
        if isinstance(example, str)
    ]
    assert html and html[0].lstrip().startswith("<")  # an HTML page stays text
    assert "http://127.0.0.1:4523/mock/617877" not in [
        s["url"] for s in document.servers
    ]  # mock env skipped
    assert {"name": "测试环境", "url": "http://127.0.0.1"} in document.servers


def test_x_apifox_refs_are_spliced_and_leftovers_dropped() -> None:
    document = read("native/apipost-apifox2.apifox.json")
    pet = find(document, "GET", "/pet/{petId}")
    schema = pet.responses[0].schema
    # own properties first, then Pet's, at the ULID's place in x-apifox-orders
    assert list(schema["properties"]) == [
        "code",
        "data",
        "id",
        "category",
        "name",
        "photoUrls",
        "tags",
        "status",
    ]
    assert schema["x-apifox-orders"] == list(schema["properties"])
    assert "photoUrls" in schema["required"]
    assert schema["properties"]["category"] == {
        "$ref": COMPONENTS + "Category",
        "description": "分组",
    }
    # an unnamed field's ULID stays in `required` (JSON Schema requires it; normalize gives
    # it a schema), not in the editor's order
    assert pet.request is not None and pet.request.schema == {
        "type": "object",
        "properties": {},
        "x-apifox-orders": [],
        "required": ["01GXX10R0HH7192EKQRNSSPY43"],
    }
    swagger = find(document, "GET", "/swaggertest")
    assert swagger.responses[0].examples == [2142121321312]  # bare digits are JSON
    assert [r.code for r in swagger.responses] == [200, 204, 403]
    assert [(p.location, p.name) for p in swagger.parameters] == [
        ("query", "a"),
        ("header", "a"),
        ("cookie", "cookie1"),
        ("cookie", "cookie2"),
    ]


def test_rust_demo_no_content_and_duplicates() -> None:
    document = read("native/RustDemo.api.apifox.json")
    assert (
        len([e for e in document.endpoints if (e.method, e.path) == ("POST", "/todos")])
        == 2
    )
    delete = find(document, "DELETE", "/todos/{id}")
    assert [(r.code, r.content_type) for r in delete.responses] == [(204, "")]
    assert find(document, "GET", "/").responses[0].content_type == "text/html"
    assert delete.parameters[0].required and delete.parameters[0].location == "path"


# -- OpenAPI -------------------------------------------------------------------------------------


def test_napcat_percent_encoded_refs_resolve() -> None:
    raw = (FIXTURES / "openapi/napcat.默认模块.openapi.3_1.json").read_text(
        encoding="utf-8"
    )
    assert "#/components/schemas/number%20%7C%20string" in raw
    document = read("openapi/napcat.默认模块.openapi.3_1.json")
    refs = [
        ref
        for schema in schemas_of(document) + list(document.schemas.values())
        for ref in refs_in(schema)
    ]
    assert COMPONENTS + "number | string" in refs and COMPONENTS + "群荣誉信息" in refs
    assert not any("%" in ref for ref in refs)
    assert ["消息相关", "发送群聊消息"] in [
        e.folder for e in document.endpoints
    ]  # the first tag


def test_boyuan_yaml_lines_point_at_the_method_key() -> None:
    path = "openapi/Boyuan.默认模块.openapi.yaml"
    lines = (FIXTURES / path).read_text(encoding="utf-8").split("\n")
    document = read(path)
    for endpoint in document.endpoints:
        assert lines[endpoint.line - 1].strip() == endpoint.method.lower() + ":"
    register = find(document, "POST", "/api/auth/register")
    assert register.folder == ["登录注册页"] and register.responses[0].code == 201
    assert (
        register.request is not None
        and register.request.examples[0]["phone"] == "13136397218"
    )


def test_openapi_json_lines_point_at_the_method_key() -> None:
    path = "openapi/go_ws_sh.openapi.json"
    lines = (FIXTURES / path).read_text(encoding="utf-8").split("\n")
    for endpoint in read(path).endpoints:
        assert (
            lines[endpoint.line - 1].strip().startswith(f'"{endpoint.method.lower()}":')
        )
        assert (
            endpoint.pointer
            == f"/paths/{endpoint.path.replace('/', '~1')}/{endpoint.method.lower()}"
        )


def test_openapi_extensions_folder_status_and_ids() -> None:
    cxdl = read("openapi/cxdl-study.个人项目.openapi.json")
    [root] = cxdl.endpoints
    assert (root.path, root.folder, root.status, root.source_id) == (
        "/",
        ["华东南一级DM测试", "华东南宁波附加服务器测试"],
        "released",
        "70497315",
    )
    assert cxdl.schemas["Pet"]["properties"]["category"] == {
        "$ref": COMPONENTS + "Category",
        "description": "分组",
    }
    [card] = read("openapi/Lzy49.api-gateway.openapi.json").endpoints
    assert (card.folder, card.status, card.title) == (
        ["web", "user", "center"],
        "developing",
        "获取用户卡片信息",
    )
    assert (
        read("openapi/go_ws_sh.openapi.json").endpoints[0].folder == []
    )  # x-apifox-folder ""


def test_openapi_nullable_becomes_a_type_list() -> None:
    document = read("openapi/TaleVoice.默认模块.openapi.json")
    text = json.dumps([document.schemas, schemas_of(document)], ensure_ascii=False)
    assert '"nullable"' not in text and '"null"]' in text


def test_dangling_ulids_leave_the_order_but_stay_required() -> None:
    register = find(
        read("openapi/kubernetes_management_system.openapi.json"),
        "POST",
        "/api/v1/platform/user/register",
    )
    assert register.request is not None and register.request.schema is not None
    assert register.request.schema["required"] == [
        "uid",
        "userName",
        "password",
        "01GT14Y43T41ASYPTNXBT8GV8Q",
    ]
    assert register.request.schema["x-apifox-orders"] == ["userName", "password", "uid"]
    assert (
        register.responses[0].examples[0]["msg"] == "register success"
    )  # examples: {"1": {value}}


def test_kubernetes_openapi_and_markdown_share_what_both_commits_have() -> None:
    """The two files come from different commits: only ping and address are unchanged; login,
    register and user info moved from /api/v1/platform/user/* to /api/v1/user/*, and login
    changed from GET to POST; /metrics exists only in the Markdown."""
    oas = pairs(read("openapi/kubernetes_management_system.openapi.json"))
    md = pairs(read("markdown/kubernetes_management_system.md"))
    assert oas & md == {
        ("GET", "/api/v1/platform/ping"),
        ("GET", "/api/v1/platform/address"),
    }
    assert md - oas == {
        ("POST", "/api/v1/user/login"),
        ("GET", "/api/v1/user/list"),
        ("GET", "/metrics"),
        ("POST", "/api/v1/user/register"),
    }


# -- Markdown ------------------------------------------------------------------------------------


def test_markdown_lines_are_real_and_links_become_refs() -> None:
    path = "markdown/go_ws_sh.md"
    lines = (FIXTURES / path).read_text(encoding="utf-8").split("\n")
    document = read(path)
    for endpoint in document.endpoints:
        assert lines[endpoint.line - 1] == f"## {endpoint.method} {endpoint.title}"
    copy = find(document, "COPY", "/sessions")
    assert copy.request is not None and copy.request.schema is not None
    assert copy.request.schema["properties"]["session"] == {
        "$ref": COMPONENTS + "session"
    }
    assert copy.request.schema["properties"]["destination"]["required"] == ["name"]
    listing = find(document, "GET", "/sessions").responses[0]
    assert listing.schema["properties"]["sessions"] == {
        "type": "array",
        "items": {"$ref": COMPONENTS + "session"},
    }
    assert document.schemas["session"]["required"] == ["created_at", "updated_at"]
    assert [(p.location, p.name, p.required) for p in copy.parameters] == [
        ("header", "x-HTTP-method-override", True)
    ]


def test_markdown_nested_fields_and_chinese_names() -> None:
    put = find(read("markdown/KinhRelay-HTTP-API.md"), "PUT", "/Relay.php")
    assert put.request is not None and put.request.schema is not None
    tls = put.request.schema["properties"]["ShieldAgreement"]["properties"]["TLS"]
    assert tls["properties"]["But"] == {
        "type": "boolean",
        "title": "是否屏蔽TLS协议",
        "description": "是否屏蔽TLS协议",
    }
    assert put.request.schema["properties"]["IPWhiteList"] == {
        "type": "array",
        "items": {"type": "string"},
        "title": "IP白名单",
        "description": "IP白名单",
    }
    assert put.responses[0].examples == [{"Message": "成功", "Status": 0}]


def test_markdown_irregular_front_matter_bare_strings_and_two_examples() -> None:
    document = read("markdown/kubernetes_management_system.md")
    assert find(document, "GET", "/api/v1/platform/ping").responses[0].examples == [
        "pong"
    ]
    login = find(document, "POST", "/api/v1/user/login")
    assert [example["errCode"] for example in login.responses[0].examples] == [
        1000,
        1003,
    ]
    users = find(document, "GET", "/api/v1/user/list")
    assert [(p.location, p.name) for p in users.parameters] == [
        ("query", "token"),
        ("header", "token"),
    ]
    assert find(document, "GET", "/metrics").description == "metrics"
    assert document.schemas["Users"]["properties"]["created_at"] == {
        "type": "string",
        "format": "date-time",
    }


MARKDOWN = """\
---
title: demo
generator: "@tarslib/widdershins v4.0.30"

---

# demo

Base URLs:

* <a href="https://api.example.com">正式环境: https://api.example.com</a>

# 宠物/上传

<a id="opIdupload"></a>

## POST 上传

POST /pets/{id}/photo

Upload a photo.

> Body 请求参数

```yaml
file: ""
kind: cat

```

### 请求参数

|名称|位置|类型|必选|中文名|说明|
|---|---|---|---|---|---|
|id|path|integer(int64)| 是 ||none|
|body|body|object| 否 ||none|
|» file|body|string(binary)| 是 ||none|
|» kind|body|string¦null| 否 ||none|

#### 枚举值

|属性|值|
|---|---|
|kind|cat|
|kind|dog|

> 返回示例

> 400 Response

```json
{"code": 1}
```

### 返回结果

|状态码|状态码含义|说明|数据模型|
|---|---|---|---|
|200|[OK](https://tools.ietf.org/html/rfc7231#section-6.3.1)|成功|Inline|

### 返回数据结构

状态码 **200**

|名称|类型|必选|约束|中文名|说明|
|---|---|---|---|---|---|
|*anonymous*|[object]|false|none||none|
|» id|integer|true|none||none|
"""


def test_markdown_forms_enums_unions_anonymous_arrays_and_servers() -> None:
    document = read_text(MARKDOWN, "demo.md", Report())
    [endpoint] = document.endpoints
    assert (endpoint.source_id, endpoint.folder, endpoint.description) == (
        "upload",
        ["宠物", "上传"],
        "Upload a photo.",
    )
    assert document.servers == [
        {"name": "正式环境", "url": "https://api.example.com"}
    ] and endpoint.servers == ["https://api.example.com"]
    assert (
        endpoint.parameters[0].schema == {"type": "integer", "format": "int64"}
        and endpoint.parameters[0].required
    )
    body = endpoint.request
    assert (
        body is not None
        and body.content_type == "multipart/form-data"
        and body.schema is not None
    )
    assert body.schema["properties"]["kind"] == {
        "type": ["string", "null"],
        "enum": ["cat", "dog"],
    }
    assert body.examples == [{"file": "", "kind": "cat"}]
    assert endpoint.request_line == MARKDOWN.split("\n").index("> Body 请求参数") + 1
    ok, bad = endpoint.responses
    assert ok.schema == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"id": {"type": "integer"}},
            "required": ["id"],
        },
    }
    assert (bad.code, bad.examples) == (
        400,
        [{"code": 1}],
    )  # an example for an undocumented code


# -- hand-made OpenAPI documents -----------------------------------------------------------------


SWAGGER2 = {
    "swagger": "2.0",
    "host": "api.example.com",
    "basePath": "/v1",
    "schemes": ["https"],
    "definitions": {
        "Pet": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "owner": {"$ref": "#/definitions/Missing"},
            },
        }
    },
    "parameters": {
        "Id": {"name": "id", "in": "path", "type": "integer", "required": True}
    },
    "paths": {
        "/pets/{id}": {
            "parameters": [{"$ref": "#/parameters/Id"}],
            "put": {
                "operationId": "updatePet",
                "consumes": ["application/json"],
                "parameters": [
                    {
                        "name": "body",
                        "in": "body",
                        "schema": {"$ref": "#/definitions/Pet"},
                    }
                ],
                "responses": {
                    "200 ": {
                        "description": "ok",
                        "schema": {"$ref": "#/definitions/Pet"},
                    },
                    "default": {"description": "error"},
                },
            },
            "post": {
                "parameters": [
                    {
                        "name": "photo",
                        "in": "formData",
                        "type": "file",
                        "required": True,
                    },
                    {"name": "note", "in": "formData", "type": "string"},
                ],
                "responses": {"201": {"description": "created"}},
            },
        }
    },
}


def test_swagger2_bodies_forms_servers_odd_keys_and_missing_refs() -> None:
    with pytest.raises(SpecError) as raised:
        read_text(json.dumps(SWAGGER2, indent=2), "swagger.json", Report())
    [problem] = raised.value.diagnostics
    assert "'#/definitions/Missing'" in problem.message  # a dangling ref is an error
    assert problem.pointer == "/definitions/Pet" and problem.file == "swagger.json"
    fixed = json.loads(json.dumps(SWAGGER2))
    fixed["definitions"]["Pet"]["properties"]["owner"] = {}
    report = Report()
    document = read_text(json.dumps(fixed, indent=2), "swagger.json", report)
    put, post = document.endpoints
    assert document.servers == [
        {"name": "https", "url": "https://api.example.com/v1"}
    ] and put.servers == ["https://api.example.com/v1"]
    assert (
        put.source_id,
        [(p.location, p.name, p.schema) for p in put.parameters],
    ) == ("updatePet", [("path", "id", {"type": "integer"})])
    assert put.request is not None and put.request.schema == {
        "$ref": COMPONENTS + "Pet"
    }
    assert [(r.code, r.range) for r in put.responses] == [
        (200, None),
        (500, "default"),
    ]  # "200 " read; `default` covers the other statuses (it stands for 500)
    assert put.responses[0].schema == {"$ref": COMPONENTS + "Pet"}
    assert (
        post.request is not None and post.request.content_type == "multipart/form-data"
    )
    assert post.request.schema == {
        "type": "object",
        "properties": {
            "photo": {"type": "string", "format": "binary"},
            "note": {"type": "string"},
        },
        "required": ["photo"],
    }
    assert_refs_resolve(document)


OPENAPI_YAML = """\
# exported by hand
openapi: 3.0.1
info: {title: demo, version: "1"}
servers:
  - url: https://{region}.example.com
    variables: {region: {default: eu}}
paths:
  /items/{id}:
    copy:
      summary: Copy an item
      x-apifox-folder: a\\/b/c
      x-run-in-apifox: https://app.apifox.com/web/project/1/apis/api-42-run
      parameters:
        - $ref: '#/components/parameters/Id'
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item'
              example: {id: 1, at: 2024-01-02}
        x-200:失败:
          description: dup
        '404':
          $ref: '#/components/responses/NotFound'
components:
  parameters:
    Id: {name: id, in: path, required: true, schema: {type: string}}
  responses:
    NotFound: {description: missing}
  schemas:
    Item:
      type: object
      properties:
        id: {type: integer, nullable: true}
        parent: {$ref: '#/components/schemas/Item', nullable: true}
        kind: {type: string, enum: [a, b], nullable: true}
        on: {type: string, enum: [yes, no]}
        odd: {$ref: '#/components/schemas/a~1b%25c'}
    a/b%c: {type: string}
"""


def test_openapi_yaml_refs_nullable_webdav_and_odd_response_keys() -> None:
    document = read_text(OPENAPI_YAML, "api.yaml", Report())
    [endpoint] = document.endpoints
    assert (endpoint.method, endpoint.path, endpoint.line) == (
        "COPY",
        "/items/{id}",
        OPENAPI_YAML.split("\n").index("    copy:") + 1,
    )
    assert (endpoint.folder, endpoint.source_id) == (["a/b", "c"], "42")
    assert endpoint.servers == ["https://eu.example.com"]
    assert [(p.name, p.required) for p in endpoint.parameters] == [("id", True)]
    assert [(r.code, r.name, r.content_type) for r in endpoint.responses] == [
        (200, "ok", "application/json"),
        (404, "missing", ""),
    ]
    assert endpoint.responses[0].examples == [
        {"id": 1, "at": "2024-01-02"}
    ]  # a YAML date stays text
    item = document.schemas["Item"]["properties"]
    assert item["id"] == {"type": ["integer", "null"]}
    assert item["parent"] == {
        "anyOf": [{"$ref": COMPONENTS + "Item"}, {"type": "null"}]
    }  # self-reference
    assert item["kind"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert item["on"] == {
        "type": "string",
        "enum": ["yes", "no"],
    }  # YAML 1.1 would read booleans
    # a name that would need pointer escaping is made plain: "/", "~" and "%" become "_"
    assert item["odd"] == {"$ref": COMPONENTS + "a_b_c"} and document.schemas[
        "a_b_c"
    ] == {"type": "string"}
    assert_refs_resolve(document)


def test_apifox_doc_site_page_is_read_as_openapi() -> None:
    yaml_doc = OPENAPI_YAML.split("\n", 1)[1]  # without the comment line
    page = (
        "# Copy an item\n\n## OpenAPI Specification\n\n```yaml\n" + yaml_doc + "```\n"
    )
    document = read_text(page, "api-42.md", Report())
    [endpoint] = document.endpoints
    assert (endpoint.method, endpoint.title) == ("COPY", "Copy an item")
    assert page.split("\n")[endpoint.line - 1] == "    copy:"


# -- hand-made native documents ------------------------------------------------------------------


def native_project(
    api: dict[str, Any], models: list[dict[str, Any]], **extra: Any
) -> str:
    item = {
        "name": "demo",
        "api": {
            "id": "7",
            "method": "get",
            "path": "/demo",
            "parameters": {},
            "responses": [],
            **api,
        },
    }
    project = {
        "apifoxProject": "1.0.0",
        "apiCollection": [{"name": "根目录", "items": [item]}],
        "schemaCollection": [{"name": "根目录", "items": models}],
        **extra,
    }
    return json.dumps(project, ensure_ascii=False, indent=2)


def model(ident: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"#/definitions/{ident}",
        "name": name,
        "schema": {"jsonSchema": schema},
    }


def test_native_spread_cycles_overrides_and_duplicate_model_names() -> None:
    models = [
        model(
            "1",
            "Node",
            {
                "type": "object",
                "properties": {"next": {"$ref": "#/definitions/1"}},
                "x-apifox-refs": {
                    "01GXXB4YK7EG1Y8J6CV6RE5Y2F": {"$ref": "#/definitions/2"}
                },
            },
        ),
        model(
            "2",
            "Base",
            {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "secret": {"type": "string"}},
                "required": ["id"],
                "x-apifox-refs": {
                    "01GXXB4YK7EG1Y8J6CV6RE5Y2G": {"$ref": "#/definitions/1"}
                },
            },
        ),
        model("3", "Base", {"type": "string"}),
    ]
    body = {
        "type": "object",
        "properties": {},
        "x-apifox-orders": ["01GXXB4YK7EG1Y8J6CV6RE5Y2H"],
        "x-apifox-refs": {
            "01GXXB4YK7EG1Y8J6CV6RE5Y2H": {
                "$ref": "#/definitions/2",
                "x-apifox-overrides": {"secret": None, "id": {"type": "string"}},
                "required": [],
            }
        },
    }
    api = {
        "requestBody": {"type": "application/json", "jsonSchema": body},
        "responses": [
            {
                "id": "9",
                "code": 200,
                "contentType": "json",
                "jsonSchema": {"$ref": "#/definitions/3"},
            }
        ],
    }
    report = Report()
    document = read_text(native_project(api, models), "cycle.apifox.json", report)
    assert sorted(document.schemas) == ["Base", "Base_2", "Node"]
    [endpoint] = document.endpoints
    # the body spreads Base (which spreads Node: `next`), drops `secret` and overrides `id`
    assert endpoint.request is not None and endpoint.request.schema == {
        "type": "object",
        "properties": {"id": {"type": "string"}, "next": {"$ref": COMPONENTS + "Node"}},
        "x-apifox-orders": ["id", "next"],
    }
    assert endpoint.responses[0].schema == {"$ref": COMPONENTS + "Base_2"}
    assert document.schemas["Node"]["properties"]["next"] == {
        "$ref": COMPONENTS + "Node"
    }  # a self-ref stays a ref
    assert {"id", "secret", "next"} <= set(document.schemas["Base"]["properties"])
    [warning] = report.warnings  # Base -> Node -> Base: the inner spread is cut, once
    assert (
        "spreads itself" in warning.message
        and warning.pointer == "/schemaCollection/0/items/0/schema/jsonSchema"
    )
    assert_refs_resolve(document)


def test_native_shared_responses_disabled_params_and_missing_refs() -> None:
    """A shared response whose schema refers to a model that is not there is an error."""
    shared = [
        {
            "id": 5,
            "name": "根目录",
            "type": "root",
            "children": [],
            "items": [
                {
                    "id": "50",
                    "name": "错误",
                    "code": 400,
                    "contentType": "json",
                    "jsonSchema": {"$ref": "#/definitions/404"},
                }
            ],
        }
    ]
    api = {
        "parameters": {
            "query": [
                {"name": "on", "type": "integer", "example": 1},
                {"name": "off", "enable": False},
            ]
        },
        "responses": [
            {"id": "9", "code": 200.0, "contentType": "xml", "jsonSchema": {}}
        ],
        "responseExamples": [{"responseId": 9, "data": "<a/>"}],
        "commonResponseStatus": {"50": True},
    }
    with pytest.raises(SpecError) as raised:
        read_text(
            native_project(api, [], responseCollection=shared),
            "shared.apifox.json",
            Report(),
        )
    [problem] = raised.value.diagnostics
    assert "'#/definitions/404'" in problem.message
    assert problem.file == "shared.apifox.json" and problem.line is not None
    shared[0]["items"][0]["jsonSchema"] = {}  # type: ignore[index]
    report = Report()
    document = read_text(
        native_project(api, [], responseCollection=shared), "shared.apifox.json", report
    )
    [endpoint] = document.endpoints
    assert [(p.name, p.schema, p.example) for p in endpoint.parameters] == [
        ("on", {"type": "integer"}, 1)
    ]
    assert [(r.code, r.content_type, r.examples) for r in endpoint.responses] == [
        (200, "application/xml", ["<a/>"]),
        (400, "application/json", []),
    ]
    assert report.warnings == []
    assert_refs_resolve(document)


# -- dispatch and malformed input ----------------------------------------------------------------


def test_the_format_is_chosen_by_content_not_by_name(tmp_path: Path) -> None:
    for source in (
        "native/go_ws_sh.apifox.json",
        "openapi/go_ws_sh.openapi.json",
        "markdown/go_ws_sh.md",
        "openapi/Boyuan.默认模块.openapi.yaml",
    ):
        renamed = tmp_path / "export.txt"
        renamed.write_bytes(
            b"\xef\xbb\xbf" + (FIXTURES / source).read_bytes()
        )  # with a BOM too
        assert read_file(renamed, "export.txt", Report()).format == read(source).format


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '{\n  "apifoxProject": "1.0.0",\n  "apiCollection": [\n    {"name": "x",}\n  ]\n}',
            4,
            "invalid JSON",
        ),
        ('{"hello": "world"}', 1, "unrecognised JSON"),
        ("openapi: 3.0.1\npaths:\n  /a: [unclosed\n", 4, "invalid YAML"),
        ("just some notes\nnothing to read here\n", 1, "unrecognised input"),
        (
            '{"apifoxProject": "1.0.0", "info": {}}',
            1,
            "no 'apiCollection' or 'httpCollection'",
        ),
    ],
)
def test_malformed_input_names_file_and_line(
    text: str, line: int, message: str
) -> None:
    with pytest.raises(SpecError) as caught:
        read_text(text, "specs/bad.json", Report())
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.file, diagnostic.line) == ("specs/bad.json", line)
    assert message in diagnostic.message
    if message == "unrecognised input":
        assert (
            "OpenAPI" in diagnostic.message and "Markdown" in diagnostic.message
        )  # lists what is accepted


def test_openapi_ref_to_a_missing_schema_is_a_located_error() -> None:
    text = json.dumps(
        {
            "openapi": "3.1.0",
            "paths": {
                "/a": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "",
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "$ref": "#/components/schemas/Gone",
                                            "description": "kept",
                                        }
                                    }
                                },
                            }
                        }
                    }
                }
            },
        }
    )
    with pytest.raises(SpecError) as raised:
        read_text(text, "gone.json", Report())
    [problem] = raised.value.diagnostics
    assert (
        "Gone" in problem.message
        and problem.pointer
        == "/paths/~1a/get/responses/200/content/application/json/schema"
    )


def test_markdown_endpoint_without_a_path_line_is_skipped_with_a_warning() -> None:
    broken = MARKDOWN.replace("POST /pets/{id}/photo\n", "")
    report = Report()
    with pytest.raises(SpecError) as caught:  # no endpoint left at all
        read_text(broken, "broken.md", report)
    assert "no endpoint could be read" in str(caught.value)
    assert report.warnings and "no 'POST /path' line" in report.warnings[0].message
    assert report.warnings[0].line == MARKDOWN.split("\n").index("## POST 上传") + 1
