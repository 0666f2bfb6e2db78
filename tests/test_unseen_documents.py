"""Classes of defects found by running specgen on real documents it had never seen, each shown
with a small document of our own, generated through `specgen generate` as a user runs it and
used through the generated package (its client against its own MockServer, over real sockets).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

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
