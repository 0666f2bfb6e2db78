"""The generated mock tells the truth (issue 9 item 5) and the generated tests send valid
arguments (item 6): a small OpenAPI document with the constructs that used to go wrong, generated
and served by its own MockServer over real sockets."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.oracles import PACKAGE, generate, import_package, imported

__all__ = ["imported"]  # the fixture, used by name

PET = {
    "type": "object",
    "required": ["kind", "name"],
    "properties": {"kind": {"type": "string"}, "name": {"type": "string"}},
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "truth", "version": "1"},
    "components": {
        "schemas": {
            "Color": {"type": "string", "enum": ["red", "green"]},
            "Base": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer", "minimum": 3}},
            },
            "Cat": {
                "allOf": [
                    {"$ref": "#/components/schemas/Base"},
                    {
                        "type": "object",
                        "required": ["kind", "lives"],
                        "properties": {
                            "kind": {"type": "string", "enum": ["cat"]},
                            "lives": {"type": "integer", "minimum": 1, "maximum": 9},
                        },
                    },
                ]
            },
            "Dog": {
                "type": "object",
                "required": ["kind", "bark"],
                "properties": {
                    "kind": {"type": "string", "enum": ["dog"]},
                    "bark": {"type": "string", "pattern": "^wo+f$"},
                },
                "additionalProperties": False,
            },
            "Pet": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Dog"},
                    {"$ref": "#/components/schemas/Cat"},
                ],
                "discriminator": {"propertyName": "kind"},
            },
            "Tree": {
                "type": "object",
                "required": ["label", "children"],
                "properties": {
                    "label": {"type": "string", "minLength": 2},
                    "children": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Tree"},
                    },
                },
            },
        }
    },
    "paths": {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "a pet",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["pet", "color", "tree", "code"],
                                    "properties": {
                                        "pet": {"$ref": "#/components/schemas/Pet"},
                                        "color": {"$ref": "#/components/schemas/Color"},
                                        "tree": {"$ref": "#/components/schemas/Tree"},
                                        "code": {
                                            "type": "string",
                                            "pattern": "^[A-Z]{3}-[0-9]{2}$",
                                        },
                                        "when": {"type": "string", "format": "date"},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        "/pets/mine": {
            "get": {
                "operationId": "myPets",
                "parameters": [
                    {
                        "name": "code",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "minLength": 4, "example": ""},
                    },
                    {
                        "name": "flag",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "boolean", "enum": [True, False]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "pets",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": PET}
                            }
                        },
                    }
                },
            }
        },
        "/legacy": {
            "delete": {
                "operationId": "dropLegacy",
                "responses": {
                    "405": {
                        "description": "never allowed",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["error"],
                                    "properties": {"error": {"type": "string"}},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/upload": {
            "post": {
                "operationId": "upload",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file", "title"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "title": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {"204": {"description": "stored"}},
            }
        },
    },
}


@pytest.fixture
def served(imported: Path) -> Any:
    spec = imported / "truth.openapi.json"
    spec.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    package = generate(spec, imported / "generated")
    import_package(package)
    testing = importlib.import_module(f"{PACKAGE}.testing")
    with testing.MockServer() as server:
        yield package, server


def _schema_of(package: Any, endpoint_id: str, code: int) -> dict[str, Any]:
    endpoint = next(e for e in package.registry["endpoints"] if e["id"] == endpoint_id)
    schema = next(r for r in endpoint["responses"] if r["code"] == code)["schema"]
    return {**schema, "$defs": package.registry["schemas"]}


def _get(server: Any, method: str, path: str, **options: Any) -> httpx.Response:
    headers = {"Authorization": "Key test-key", **options.pop("headers", {})}
    return httpx.request(
        method, server.url + path, headers=headers, timeout=10, **options
    )


def test_answers_satisfy_all_of_one_of_discriminators_ref_enums_patterns_and_recursion(
    served: Any,
) -> None:
    package, server = served
    answer = _get(server, "GET", "/pets/7")
    assert answer.status_code == 200
    body = answer.json()
    jsonschema.Draft202012Validator(
        _schema_of(package, "GET /pets/{id}", 200),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    ).validate(body)
    assert body["color"] in ("red", "green")


def test_an_operation_documenting_only_405_answers_405_with_its_body(
    served: Any,
) -> None:
    package, server = served
    answer = _get(server, "DELETE", "/legacy")
    assert answer.status_code == 405
    jsonschema.validate(answer.json(), _schema_of(package, "DELETE /legacy", 405))


def test_the_literal_route_wins_and_a_missing_query_parameter_is_refused(
    served: Any,
) -> None:
    _, server = served
    missing = _get(server, "GET", "/pets/mine")
    assert missing.status_code == 422  # not answered by /pets/{id}
    assert {tuple(d["loc"]) for d in missing.json()["detail"]} >= {("query", "code")}
    fine = _get(server, "GET", "/pets/mine", params={"code": "abcd", "flag": "true"})
    assert fine.status_code == 200 and isinstance(fine.json(), list)


def test_multipart_bodies_are_validated(served: Any) -> None:
    _, server = served
    no_file = _get(server, "POST", "/upload", files={"title": (None, "x")})
    assert no_file.status_code == 422
    assert ["body", "file"] in [d["loc"] for d in no_file.json()["detail"]]
    as_json = _get(server, "POST", "/upload", json={"title": "x"})
    assert as_json.status_code == 415
    both = _get(
        server,
        "POST",
        "/upload",
        files={"file": ("a.bin", b"\x00\x01"), "title": (None, "x")},
    )
    assert both.status_code == 204


def test_generated_arguments_satisfy_the_schema_when_the_example_does_not(
    served: Any,
) -> None:
    package, server = served
    endpoint = next(
        e for e in package.registry["endpoints"] if e["id"] == "GET /pets/mine"
    )
    kwargs = package.kwargs(endpoint)
    assert len(kwargs["code"]) >= 4  # the documented example "" breaks minLength
    client = package.client(server.url)
    answer = client.my_pets(**kwargs)
    assert isinstance(
        getattr(answer, "root", answer), list
    )  # a list, or a root model of one
