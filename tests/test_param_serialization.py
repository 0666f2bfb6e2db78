"""Parameters and bodies as OpenAPI serializes them, both ways: the generated client writes
them (style/explode, arrays, objects, undefined values left out), the generated MockServer
reads them back, and the reader keeps what OpenAPI 3.0 means (nullable beside a composition,
a oneOf listing one schema twice, a path parameter its template lacks). One package from
tests/fixtures/rest/params.openapi.yaml, a real loopback mock."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.helpers import ROOT, run_cli

DOCUMENT = ROOT / "tests" / "fixtures" / "rest" / "params.openapi.yaml"


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ModuleType, dict[str, Any], str]]:
    out = tmp_path_factory.mktemp("params") / "generated"
    done = run_cli(
        "generate",
        "--input",
        str(DOCUMENT),
        "--out",
        str(out),
        "--package",
        "params_api",
        "--no-cache",
        cwd=out.parent,
    )
    assert done.returncode == 0, done.stderr
    registry = json.loads((out / "registry.json").read_text("utf-8"))
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("params_api"), registry, done.stderr
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "params_api"]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def package(generated: tuple[ModuleType, dict[str, Any], str]) -> ModuleType:
    return generated[0]


@pytest.fixture
def mock(package: ModuleType) -> Iterator[Any]:
    testing = importlib.import_module("params_api.testing")
    with testing.MockServer() as server:
        yield server


def endpoint(registry: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return next(
        e for e in registry["endpoints"] if (e["method"], e["path"]) == (method, path)
    )


SEARCH = {
    "tags": ["a", None],
    "ids": [1, 2],
    "words": ["x", "y"],
    "codes": ["p", "q"],
    "filter": {"low": 1, "high": 2},
    "window": {"low": 1, "high": 2},
    "other_window": {"low": 1, "high": 3},
    "pair": {"low": 1},
    "note": None,
}


def test_the_client_serializes_each_style_and_leaves_undefined_values_out(
    package: ModuleType, mock: Any
) -> None:
    client = package.Client(base_url=mock.url)
    client.search(**SEARCH)  # the mock accepts what the client sends
    [sent] = mock.requests
    assert sent.query == {
        "tags": ["a"],  # a null item is undefined (RFC 6570 §2.3): left out
        "ids": ["1|2"],  # pipeDelimited
        "words": ["x y"],  # spaceDelimited
        "codes": ["p,q"],  # form, not exploded
        "filter[low]": ["1"],  # deepObject
        "filter[high]": ["2"],
        "low": ["1"],  # two exploded objects: a key they share with one value, once
        "high": ["2", "3"],
        "pair": ["low,1"],  # an object, not exploded
    }  # `note=None`: null is undefined in a query, so nothing is sent


def test_a_parameter_with_nothing_defined_is_not_sent(
    package: ModuleType, mock: Any
) -> None:
    client = package.Client(base_url=mock.url)
    client.search(tags=[None], window={}, other_window={}, note=None, ids=[])
    [sent] = mock.requests
    assert sent.query == {}


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("ids=1|2&words=x%20y&codes=p,q&filter[low]=1&low=1&pair=low,1", 200),
        # undefined values arrive as nothing: [] for an array, {} for an object, null
        ("", 200),
        ("tags=null&note=null", 200),  # as fuzzers write null
        ("tags=a&tags=b&note=text", 200),
        ("ids=1|x", 422),  # each item is read and checked
        ("codes=p,q&ids=1,2", 422),  # pipeDelimited: "1,2" is one item, no integer
        ("filter[low]=abc", 422),
        ("low=abc", 422),  # an exploded object's property, checked as such
        ("pair=low,abc", 422),
    ],
)
def test_the_mock_reads_parameters_back_as_openapi_serializes_them(
    mock: Any, query: str, status: int
) -> None:
    answer = httpx.get(f"{mock.url}/search?{query}")
    assert answer.status_code == status, answer.text


def test_nullable_beside_a_composition_adds_null(
    package: ModuleType, generated: tuple[ModuleType, dict[str, Any], str]
) -> None:
    models = importlib.import_module("params_api.models")
    pet = models.Pet.model_validate({"name": "n", "friend": None, "owner": None})
    assert (pet.friend, pet.owner) == (None, None)
    assert models.Pet.model_validate(
        {"name": "n", "friend": {"meow": True}, "owner": {"low": 1}}
    ).friend.meow
    schema = generated[1]["schemas"]["Pet"]["properties"]
    assert {"type": "null"} in schema["friend"]["oneOf"]
    assert {"type": "null"} in schema["owner"]["anyOf"]


def test_a_one_of_listing_one_schema_twice_is_read_once_with_a_warning(
    generated: tuple[ModuleType, dict[str, Any], str],
) -> None:
    _, registry, stderr = generated
    assert "params.openapi.yaml:" in stderr
    assert "oneOf lists the same schema more than once" in stderr
    [ok] = endpoint(registry, "GET", "/twins")["responses"]
    assert ok["schema"]["oneOf"] == [{"$ref": "#/$defs/Range"}]


def test_a_path_parameter_its_template_lacks_is_an_optional_query_parameter(
    generated: tuple[ModuleType, dict[str, Any], str], mock: Any
) -> None:
    _, registry, stderr = generated
    assert "it is sent as an optional query parameter" in stderr
    [param] = endpoint(registry, "DELETE", "/things")["parameters"]
    assert (param["in"], param["required"]) == ("query", False)
    assert httpx.delete(f"{mock.url}/things").status_code == 204
    assert httpx.delete(f"{mock.url}/things?thingId=3").status_code == 204
    assert httpx.delete(f"{mock.url}/things?thingId=x").status_code == 422


def test_the_same_body_is_taken_in_each_documented_media_type(mock: Any) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert (
        httpx.post(f"{mock.url}/pets", content=b"name=n", headers=form).status_code
        == 422  # the same schema: friend and owner are required
    )
    assert (
        httpx.post(
            f"{mock.url}/pets",
            content=b"name=n&friend=null&owner=null",
            headers=form,
        ).status_code
        == 200
    )
    assert (
        httpx.post(
            f"{mock.url}/pets", json={"name": "n", "friend": None, "owner": None}
        ).status_code
        == 200
    )
    assert (
        httpx.post(
            f"{mock.url}/pets", content=b"name", headers={"content-type": "text/plain"}
        ).status_code
        == 415  # not documented
    )


@pytest.mark.parametrize(
    ("count", "status"), [(b"null", 200), (b"3", 200), (b"three", 422)]
)
def test_the_mock_reads_null_multipart_parts(
    mock: Any, count: bytes, status: int
) -> None:
    boundary = "b0undary"
    parts = [
        (b'name="file"; filename="a.txt"', b"", b"hello"),
        (b'name="meta"', b"Content-Type: application/json\r\n", b"null"),
        (b'name="count"', b"", count),
    ]
    body = b"".join(
        b"--b0undary\r\nContent-Disposition: form-data; "
        + disposition
        + b"\r\n"
        + head
        + b"\r\n"
        + content
        + b"\r\n"
        for disposition, head, content in parts
    )
    answer = httpx.post(
        f"{mock.url}/uploads",
        content=body + b"--b0undary--\r\n",
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.status_code == status, answer.text


def test_an_optional_whole_body_is_sent_when_given_even_empty(
    package: ModuleType, mock: Any
) -> None:
    client = package.Client(base_url=mock.url)
    client.set_options(body={})
    client.set_options()
    given, left_out = mock.requests
    assert given.body == b"{}"
    assert left_out.body == b""


def test_the_expected_query_of_the_contract_tests_is_what_the_client_sends(
    generated: tuple[ModuleType, dict[str, Any], str],
) -> None:
    from generator.views import expected_query

    params = {
        p["name"]: p for p in endpoint(generated[1], "GET", "/search")["parameters"]
    }
    sent = {**SEARCH, "other window": SEARCH["other_window"]}
    assert expected_query(
        [(name, sent[name], params[name]) for name in params if name in sent]
    ) == {
        "tags": ["a"],
        "ids": ["1|2"],
        "words": ["x y"],
        "codes": ["p,q"],
        "filter[low]": ["1"],
        "filter[high]": ["2"],
        "low": ["1"],
        "high": ["2", "3"],
        "pair": ["low,1"],
    }
