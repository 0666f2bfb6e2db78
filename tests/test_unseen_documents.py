"""Classes of defects found by running specgen on real documents it had never seen, each shown
with a small document of our own, generated through `specgen generate` as a user runs it and
used through the generated package (its client against its own MockServer, over real sockets).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import run_cli
from tests.oracles import PACKAGE, generate, import_package, imported

__all__ = ["imported"]  # the fixture, used by name


def _generated(folder: Path, name: str, text: str) -> Any:
    """Generate `text` (saved as `name`) and import the package; returns it."""
    spec = folder / name
    spec.write_text(text, encoding="utf-8")
    package = generate(spec, folder / "generated")
    import_package(package)
    return package


def _module(name: str = "") -> Any:
    return importlib.import_module(PACKAGE + (f".{name}" if name else ""))


# -- B: Markdown exports, a top-level array ---------------------------------------------------------

MARKDOWN_ARRAY = """---
title: arrays
generator: "@tarslib/widdershins v4.0.30"
---

# arrays

Base URLs:

# Default

## GET list of things

GET /things

> Response Examples

> 200 Response

```json
[
  {"id": 1, "label": "first"},
  {"id": 2, "label": "second"}
]
```

### Responses

|HTTP Status Code |Meaning|Description|Data schema|
|---|---|---|---|
|200|[OK](https://tools.ietf.org/html/rfc7231#section-6.3.1)|none|Inline|

### Responses Data Schema

HTTP Status Code **200**

|Name|Type|Required|Restrictions|Title|description|
|---|---|---|---|---|---|
|» id|integer|true|none||none|
|» label|string|true|none||none|

## POST store things

POST /things

> Body Parameters

```json
[
  {"id": 1}
]
```

### Params

|Name|Location|Type|Required|Description|
|---|---|---|---|---|
|» id|body|integer| yes |none|

> Response Examples

> 200 Response

```json
{"stored": 1}
```

### Responses

|HTTP Status Code |Meaning|Description|Data schema|
|---|---|---|---|
|200|[OK](https://tools.ietf.org/html/rfc7231#section-6.3.1)|none|Inline|

### Responses Data Schema

HTTP Status Code **200**

|Name|Type|Required|Restrictions|Title|description|
|---|---|---|---|---|---|
|» stored|integer|true|none||none|
"""


def test_markdown_top_level_array_is_an_array_of_the_listed_fields(
    imported: Path,
) -> None:
    """widdershins lists an array's item fields at the depth of an object's (`» id`); the
    JSON examples (`[ {...} ]`) say which it is. The answer of the package's own mock (the
    documented example) parses, and an array body is sent as one."""
    package = _generated(imported, "arrays.md", MARKDOWN_ARRAY)
    listing, store = sorted(package.registry["endpoints"], key=lambda e: e["method"])
    schema = listing["responses"][0]["schema"]
    assert schema["type"] == "array" and schema["items"]["required"] == ["id", "label"]
    assert store["request"]["schema"]["type"] == "array"
    assert store["request"]["schema"]["items"]["properties"] == {
        "id": {"type": "integer"}
    }
    with _module("testing").MockServer() as server:
        client = _module().Client(base_url=server.url, key="k")
        things = client.get_things()
        assert [(thing.id, thing.label) for thing in things] == [
            (1, "first"),
            (2, "second"),
        ]
        assert client.post_things(body=[{"id": 7}]).stored == 1
        assert server.requests[-1].json == [{"id": 7}]


# -- C: prose in an OpenAPI document is not a schema keyword ---------------------------------------

OPENAPI_PROSE = """openapi: 3.0.3
info: {title: prose, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - name: limit
          in: query
          description: How many items to return at one time (max 100)
          schema: {type: integer, format: int32}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
  /search:
    post:
      operationId: search
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              properties:
                rows:
                  description: How many rows to return. If you run the search with default values, the response says how many matched.
                  type: integer
                  default: 100
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
"""

MARKDOWN_PROSE = """---
generator: "@tarslib/widdershins v4.0.30"
---

# prose

# Default

## GET list pets

GET /pets

### Params

|Name|Location|Type|Required|Description|
|---|---|---|---|---|
|limit|query|integer| no |How many items to return at one time (max 100)|

> Response Examples

> 200 Response

```json
{}
```
"""


def test_openapi_prose_is_not_enforced_and_lint_suggests_the_keyword(
    imported: Path,
) -> None:
    """The schema is the contract in OpenAPI: "(max 100)" in a description is no `maximum`
    (the client sends 200, its own mock accepts it), lint says the schema does not declare
    it; a keyword the schema states (`default: 100`) is never re-read from prose."""
    spec = imported / "prose.yaml"
    spec.write_text(OPENAPI_PROSE, encoding="utf-8")
    done = run_cli(
        "generate",
        "--out",
        str(imported / "generated"),
        "--package",
        PACKAGE,
        "--no-cache",
        "--input",
        str(spec),
        cwd=imported,
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr, done.stderr
    registry = json.loads((imported / "generated" / "registry.json").read_text("utf-8"))
    by_id = {e["names"]["method"]: e for e in registry["endpoints"]}
    [limit] = by_id["list_pets"]["parameters"]
    assert "maximum" not in limit["schema"]
    rows = by_id["search"]["request"]["schema"]["properties"]["rows"]
    assert rows["default"] == 100
    sys.path.insert(0, str(imported / "generated"))
    with _module("testing").MockServer() as server:
        client = _module().Client(base_url=server.url, key="k")
        client.list_pets(limit=200)
        assert server.requests[-1].query == {"limit": ["200"]}
    linted = run_cli("lint", "--format", "json", str(spec), cwd=imported)
    findings = json.loads(linted.stdout)["findings"]
    [suggested] = [f for f in findings if f["rule"] == "prose-not-declared"]
    assert suggested["level"] == "warning" and suggested["line"] == 8
    assert '"maximum": 100' in suggested["message"]
    assert not [
        f for f in findings if f["rule"].startswith("prose-") and f is not suggested
    ]


def test_markdown_prose_is_still_lifted(tmp_path: Path) -> None:
    """Where prose is the only source (Apifox Markdown, doc pages) it still becomes the keyword."""
    spec = tmp_path / "prose.md"
    spec.write_text(MARKDOWN_PROSE, encoding="utf-8")
    out = tmp_path / "generated"
    done = run_cli("generate", "--out", str(out), "--no-cache", "--input", str(spec))
    assert done.returncode == 0, done.stderr
    registry = json.loads((out / "registry.json").read_text("utf-8"))
    [limit] = registry["endpoints"][0]["parameters"]
    assert limit["schema"]["maximum"] == 100
    assert limit["schema"]["x-provenance"] == {"maximum": "max 100"}


# -- D: the mock reads each item of an array parameter as its items' type -------------------------

OPENAPI_ARRAYS = """openapi: 3.0.3
info: {title: header arrays, version: "1"}
paths:
  /items:
    get:
      operationId: getItems
      parameters:
        - {name: X-Trace, in: header, schema: {type: array, items: {type: string}}}
        - {name: X-Count, in: header, schema: {type: integer}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
"""


def test_mock_takes_numeric_looking_text_items_and_names_the_header(
    imported: Path,
) -> None:
    """`X-Trace: a,7` is two strings: the package's own client is accepted by its own mock,
    and a bad header is reported under `header`, not `query`."""
    _generated(imported, "arrays.yaml", OPENAPI_ARRAYS)
    with _module("testing").MockServer() as server:
        client = _module().Client(base_url=server.url, key="k")
        client.get_items(x_trace=["a", "7"], tags=["7", "x"])
        sent = server.requests[-1]
        assert sent.headers["x-trace"] == "a,7" and sent.query == {"tags": ["7", "x"]}
        answer = httpx.get(
            server.url + "/items",
            headers={"X-Count": "many", "Authorization": "Key k"},
            timeout=10,
        )
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["header", "x_count"]


# -- G: a key given twice -------------------------------------------------------------------------

YAML_HEAD = 'openapi: 3.0.3\ninfo: {title: twice, version: "1"}\npaths:\n'


@pytest.mark.parametrize(
    ("body", "line", "key", "pointer", "first"),
    [
        (  # two operationIds under one operation
            "  /pets:\n    get:\n      operationId: first\n      operationId: second\n"
            "      responses: {'200': {description: ok}}\n",
            7,
            "operationId",
            "/paths/~1pets/get/operationId",
            6,
        ),
        (  # two get: under one path item, the second in flow style
            "  /pets:\n    get:\n      responses: {'200': {description: ok}}\n"
            "    get: {responses: {'201': {description: ok}}}\n",
            7,
            "get",
            "/paths/~1pets/get",
            5,
        ),
        (  # a parameter's name twice, inside a list; 1 and '1' are one key to the reader
            "  /pets:\n    get:\n      parameters:\n"
            "        - {name: a, in: query, 1: x, '1': y}\n"
            "      responses: {'200': {description: ok}}\n",
            7,
            "1",
            "/paths/~1pets/get/parameters/0/1",
            7,
        ),
    ],
    ids=["operationId", "method", "in-a-list"],
)
def test_yaml_key_given_twice_is_a_located_error(
    tmp_path: Path, body: str, line: int, key: str, pointer: str, first: int
) -> None:
    """YAML requires unique mapping keys: the second is an error at its line, naming the key
    and where the first is; nothing is written."""
    spec = tmp_path / "twice.yaml"
    spec.write_text(YAML_HEAD + body, encoding="utf-8")
    out = tmp_path / "generated"
    done = run_cli("generate", "--out", str(out), "--no-cache", "--input", str(spec))
    assert done.returncode == 2, done.stderr
    assert (
        f"twice.yaml:{line}: error: found the key {key!r} twice in one mapping (first at line {first})"
        in done.stderr
    ), done.stderr
    assert f"(at {pointer})" in done.stderr and "expected each key once" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


def test_json_name_given_twice_is_a_located_warning(tmp_path: Path) -> None:
    """RFC 8259 says the names of an object SHOULD be unique: a warning at the second, naming
    the first; the last one counts, as in every JSON reader of Python."""
    spec = tmp_path / "twice.json"
    spec.write_text(
        '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},\n'
        ' "paths": {"/pets": {"get": {"operationId": "first",\n'
        '   "operationId": "second", "responses": {"200": {"description": "ok"}}}}}}\n',
        encoding="utf-8",
    )
    out = tmp_path / "generated"
    done = run_cli("generate", "--out", str(out), "--no-cache", "--input", str(spec))
    assert done.returncode == 0, done.stderr
    assert (
        "twice.json:3: warning: the name 'operationId' is given twice in one object "
        "(first at line 2)" in done.stderr
    ), done.stderr
    assert "(at /paths/~1pets/get/operationId)" in done.stderr
    registry = json.loads((out / "registry.json").read_text("utf-8"))
    assert registry["endpoints"][0]["names"]["method"] == "second"
