"""Schemas read as JSON Schema says, even where the author wrote something odd (issue 9 items 3,
4, 5): a required name with no property, a documented type beside an example of another type,
values that contradict their type, a oneOf listing one branch twice, `multipleOf`, an optional
multipart body left out, a binary query value. A small OpenAPI document with each case is
generated, its own contract tests run against its own mock, and the mock is called over real
sockets.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import jsonschema
import pytest

from generator import samples
from tests.oracles import PACKAGE, Package, generate, import_package, imported
from tests.test_oracle_prism import _ignored_header_only, _unparsed_body_only

__all__ = ["imported"]  # the fixture, used by name

ULID = "01GT14Y43T41ASYPTNXBT8GV8Q"
EMPTY_OBJECT = {"type": "object", "properties": {}}
CHOICE = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}},
    "additionalProperties": False,
}


def _post(
    operation: str, body: dict[str, Any], content_type: str = "application/json"
) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation,
            "requestBody": {"content": {content_type: {"schema": body}}},
            "responses": {"204": {"description": "done"}},
        }
    }


# `required` of a readOnly field holds for answers only, of a writeOnly one for requests only
PAYMENT = {
    "type": "object",
    "required": ["id", "cvc", "name"],
    "properties": {
        "id": {"type": "string", "readOnly": True},
        "cvc": {"type": "string", "writeOnly": True},
        "name": {"type": "string"},
    },
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "bodies", "version": "1"},
    "components": {"schemas": {"Payment": PAYMENT}},
    "paths": {
        "/pay": {
            "post": {
                "operationId": "pay",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Payment"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "paid",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Payment"},
                                "examples": {
                                    "leaks": {
                                        "value": {"id": "1", "cvc": "123", "name": "a"}
                                    },
                                    "right": {"value": {"id": "2", "name": "b"}},
                                },
                            }
                        },
                    }
                },
            }
        },
        # Apifox leaves the id of a field it never finished in `required`
        "/register": _post(
            "register",
            {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name", ULID],
            },
        ),
        # a branch of allOf may require what a sibling defines: nothing to add there
        "/named": _post(
            "named",
            {
                "allOf": [
                    {"type": "object", "properties": {"name": {"type": "string"}}},
                    {
                        "type": "object",
                        "properties": {"extra": {"type": "string"}},
                        "required": ["name", "extra"],
                    },
                ]
            },
        ),
        "/ping": {
            "get": {
                "operationId": "ping",
                "responses": {
                    "200": {
                        "description": "documented as an object, shown as text",
                        "content": {
                            "application/json": {
                                "schema": EMPTY_OBJECT,
                                "example": "pong",
                            }
                        },
                    }
                },
            }
        },
        "/listing": {
            "get": {
                "operationId": "listing",
                "responses": {
                    "200": {
                        "description": "a placeholder the example fills in",
                        "content": {
                            "application/json": {
                                "schema": EMPTY_OBJECT,
                                "example": {"total": 3},
                            }
                        },
                    }
                },
            }
        },
        "/odd": _post(
            "odd",
            {
                "type": "object",
                "required": ["kind", "fixed", "mixed", "choice", "step", "even"],
                "properties": {
                    "kind": {"type": "integer", "enum": ["a", "b"], "minimum": 3},
                    "fixed": {"type": "integer", "const": "7", "maximum": 5},
                    "mixed": {"type": "integer", "enum": [1, "x", 2.0]},
                    "choice": {"oneOf": [CHOICE, CHOICE]},
                    "step": {
                        "type": "number",
                        "minimum": 0,
                        "exclusiveMinimum": 0,
                        "multipleOf": 1,
                    },
                    "even": {"type": "integer", "minimum": 3, "multipleOf": 2},
                },
            },
        ),
        # requestBody without `required`: a client may leave the body out
        "/upload": _post(
            "upload",
            {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "multipart/form-data",
        ),
        "/batch": {
            "post": {
                "operationId": "batch",
                "parameters": [
                    {
                        "name": "files",
                        "in": "query",
                        "required": True,
                        "schema": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                    }
                ],
                "responses": {"204": {"description": "done"}},
            }
        },
    },
}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    root = tmp_path_factory.mktemp("bodies")
    spec = root / "bodies.openapi.json"
    spec.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    return generate(spec, root / "generated")


def _endpoint(package: Package, endpoint_id: str) -> dict[str, Any]:
    return next(e for e in package.registry["endpoints"] if e["id"] == endpoint_id)


def _warned(package: Package, words: str, pointer_end: str) -> bool:
    return any(
        words in w["message"] and w["pointer"].endswith(pointer_end)
        for w in package.registry["warnings"]
    )


def test_a_required_name_without_a_property_is_a_required_field_of_any_type(
    package: Package,
) -> None:
    request = _endpoint(package, "POST /register")["request"]
    assert request["schema"]["properties"][ULID] == {}
    assert ULID in request["schema"]["required"]
    assert {f["name"]: f["required"] for f in request["fields"]} == {
        "name": True,
        ULID: True,
    }
    assert _warned(package, f"{ULID!r} is not defined in `properties`", "/required")
    named = _endpoint(package, "POST /named")["request"]["schema"]
    assert named["allOf"][1]["properties"] == {"extra": {"type": "string"}}
    assert not _warned(package, "'name' is not defined", "")


def test_the_documented_type_wins_over_an_example_of_another_type(
    package: Package,
) -> None:
    ping = _endpoint(package, "GET /ping")["responses"][0]
    assert ping["schema"] == EMPTY_OBJECT and not ping["schema_inferred_from_examples"]
    # an example of the same kind still fills in the placeholder
    listing = _endpoint(package, "GET /listing")["responses"][0]
    assert listing["schema_inferred_from_examples"]
    assert listing["schema"]["properties"] == {"total": {"type": "integer"}}


def test_values_that_contradict_their_type_and_repeated_one_of_branches_are_resolved(
    package: Package,
) -> None:
    schema = _endpoint(package, "POST /odd")["request"]["schema"]
    properties = schema["properties"]
    # the listed values win over the type; bounds of numbers do not apply to strings
    assert "type" not in properties["kind"] and properties["kind"]["enum"] == ["a", "b"]
    assert "type" not in properties["fixed"] and properties["fixed"]["const"] == "7"
    # members of another type were never valid: they go, the type stays
    assert properties["mixed"] == {"type": "integer", "enum": [1, 2.0]}
    assert properties["choice"]["oneOf"] == [CHOICE]
    assert _warned(package, "no enum value is of type 'integer'", "/kind/enum")
    assert _warned(package, "the const wins", "/fixed/const")
    assert _warned(package, "enum values ['x'] are not of type", "/mixed/enum")
    assert _warned(package, "oneOf lists the same schema more than once", "/oneOf")
    # now a value exists, and the sampler finds it
    found, value = samples.valid_value(schema, package.registry["schemas"])
    assert found, value
    jsonschema.validate(value, schema)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "number", "minimum": 0, "exclusiveMinimum": 0, "multipleOf": 1},
        {"type": "integer", "minimum": 3, "multipleOf": 2},
        {"type": "number", "exclusiveMinimum": 0.5, "multipleOf": 0.25},
        {"type": "integer", "multipleOf": 22, "exclusiveMaximum": 1000},
    ],
)
def test_number_samples_are_multiples_of_multiple_of(schema: dict[str, Any]) -> None:
    value = samples.build(schema, {})
    jsonschema.validate(value, schema)


def test_the_packages_own_contract_tests_pass(package: Package) -> None:
    """Every value the generated tests send is valid and every model takes what the mock
    answers: the whole document, as a user runs its tests."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=package.out,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_binary_query_value_is_not_empty(package: Package, imported: Path) -> None:
    """OpenAPI: a query parameter takes no empty value unless `allowEmptyValue` says so."""
    import_package(package)
    kwargs = package.kwargs(_endpoint(package, "POST /batch"))
    assert kwargs and all(v and all(item for item in v) for v in kwargs.values())


def test_an_optional_multipart_body_may_be_left_out(
    package: Package, imported: Path
) -> None:
    import_package(package)
    testing = importlib.import_module(f"{PACKAGE}.testing")
    with testing.MockServer() as server:
        headers = {"Authorization": f"Key {testing.TEST_API_KEY}"}
        url = server.url + "/upload"
        left_out = httpx.post(url, headers=headers, timeout=10)
        assert left_out.status_code == 204, left_out.text
        # a body that is sent must still hold its required part
        no_file = httpx.post(url, headers=headers, files={"x": (None, "1")}, timeout=10)
        assert no_file.status_code == 422
        assert ["body", "file"] in [d["loc"] for d in no_file.json()["detail"]]
        sent = httpx.post(url, headers=headers, files={"file": ("a", b"1")}, timeout=10)
        assert sent.status_code == 204


def _prism_422(
    violations: list[dict[str, Any]], content_type: str, content: bytes
) -> httpx.Response:
    request = httpx.Request(
        "POST",
        "http://127.0.0.1/x",
        headers={"content-type": content_type},
        content=content,
    )
    return httpx.Response(422, json={"validation": violations}, request=request)


def test_the_prism_oracle_excuses_only_what_prism_cannot_judge() -> None:
    """Prism parses no XML body and validates header parameters OpenAPI says are ignored: those
    verdicts are not the client's; any other, or a malformed body, still is."""
    xml = {"request": {"content_type": "application/xml"}, "parameters": []}
    not_object = [{"location": ["body"], "code": "type", "message": "must be object"}]
    assert _unparsed_body_only(
        _prism_422(not_object, "application/xml", b"<a><b>1</b></a>"), xml
    )
    with pytest.raises(
        ElementTree.ParseError
    ):  # a malformed XML body is the client's fault
        _unparsed_body_only(_prism_422(not_object, "application/xml", b"<a>"), xml)
    as_json = {"request": {"content_type": "application/json"}, "parameters": []}
    assert not _unparsed_body_only(
        _prism_422(not_object, "application/json", b'"x"'), as_json
    )
    missing = [{"location": ["body"], "code": "required", "message": "must have x"}]
    assert not _unparsed_body_only(_prism_422(missing, "application/xml", b"<a/>"), xml)
    accept = [{"location": ["header", "accept"], "code": "enum", "message": "ww"}]
    assert _ignored_header_only(_prism_422(accept, "text/plain", b""), xml)
    other = [{"location": ["header", "x-name"], "code": "enum", "message": "n"}]
    assert not _ignored_header_only(_prism_422(other, "text/plain", b""), xml)


def test_read_only_and_write_only_fields_go_one_way(
    package: Package, imported: Path
) -> None:
    """OpenAPI 3.x: a writeOnly field "SHOULD NOT be sent as part of the response", and the
    `required` of a readOnly (writeOnly) field takes effect on the response (request) only.
    """
    import_package(package)
    testing = importlib.import_module(f"{PACKAGE}.testing")
    models = importlib.import_module(f"{PACKAGE}.models")
    with testing.MockServer() as server:
        headers = {"Authorization": f"Key {testing.TEST_API_KEY}"}
        # the client does not send the server's id; the mock does not ask for it
        sent = httpx.post(
            server.url + "/pay",
            headers=headers,
            json={"cvc": "123", "name": "a"},
            timeout=10,
        )
    assert sent.status_code == 200, sent.text
    # the documented example that carries the writeOnly cvc is not an answer
    assert sent.json() == {"id": "2", "name": "b"}
    assert models.Payment.model_validate(sent.json()).name == "b"
