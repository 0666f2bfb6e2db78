"""The registry's named types (TypedDicts: the registry stays the JSON-shaped document that
`generated/registry.json` holds and `generator/registry.schema.json` describes).

Generated from generator/registry.schema.json by datamodel-code-generator; do not edit.
Regenerate after changing the schema: `python -m generator.typegen`.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from typing_extensions import NotRequired, TypedDict


class RegistryWarning(TypedDict):
    file: str
    line: int | None
    message: str
    pointer: NotRequired[str]


class NamedServer(TypedDict):
    name: NotRequired[str]
    url: NotRequired[str]


class Group(TypedDict, closed=True):
    path: list[str]
    description: str


class SourceLocation(TypedDict):
    file: str
    line: int
    pointer: NotRequired[str]


Identifier: TypeAlias = str


Schema: TypeAlias = dict[str, Any]


Names = TypedDict(
    "Names",
    {
        "attribute": Identifier,
        "class": Identifier,
        "input_model": Identifier | None,
        "output_model": Identifier | None,
        "test_module": Identifier,
        "doc_page": str,
        "params_model": Identifier | None,
        "full_name": NotRequired[str],
        "namespace": NotRequired[list[Identifier]],
        "method": NotRequired[Identifier],
    },
    closed=True,
)


class RequestField(TypedDict, closed=True):
    name: str
    python_name: Identifier
    required: bool
    file_types: list[str] | None
    binary: bool


class QueueFacts(TypedDict):
    app_id: str
    detected_from: str


ParameterLocation: TypeAlias = Literal["path", "query", "header", "cookie"]


Encoding: TypeAlias = Literal["json", "form", "multipart", "raw"]


StatusRange: TypeAlias = Literal["1XX", "2XX", "3XX", "4XX", "5XX", "default"]


SecurityScheme = TypedDict(
    "SecurityScheme",
    {
        "type": str,
        "in": Literal["header", "query", "cookie"],
        "name": str,
        "prefix": str,
        "basic": bool,
        "description": str,
        "env": Identifier,
        "source": SourceLocation,
    },
    closed=True,
)


Parameter = TypedDict(
    "Parameter",
    {
        "name": str,
        "in": ParameterLocation,
        "required": bool,
        "description": NotRequired[str],
        "schema": Schema,
        "python_name": Identifier,
        "style": NotRequired[str],
        "explode": NotRequired[bool],
        "example": NotRequired[Any],
    },
)


class Request(TypedDict, closed=True):
    content_type: str
    schema: Schema
    examples: list[Any]
    fields: list[RequestField]
    encoding: Encoding
    body_param: Identifier | None
    required: bool
    also: NotRequired[list[list[str]]]


class Response(TypedDict):
    code: int
    name: str
    content_type: str
    schema: Schema
    schema_inferred_from_examples: bool
    examples: list[Any]
    model: Identifier | None
    range: NotRequired[StatusRange]
    description: NotRequired[str]


class Endpoint(TypedDict, closed=True):
    id: str
    method: str
    path: str
    title: str
    description: str
    source: SourceLocation
    meta: dict[str, str]
    names: Names
    parameters: list[Parameter]
    request: Request | None
    responses: list[Response]
    queue: QueueFacts | None
    output_schema: Schema | None
    key: str
    group: list[str]
    tags: list[str]
    status: str
    deprecated: bool
    servers: list[str]
    security: list[list[str]]
    base_url: NotRequired[str]


class Registry(TypedDict, closed=True):
    registry_version: Literal[1]
    package: Identifier
    base_url: str
    base_url_env: Identifier
    auth_env: Identifier
    warnings: list[RegistryWarning]
    endpoints: list[Endpoint]
    servers: list[NamedServer]
    schemas: dict[Identifier, Schema]
    auth_scheme: str | None
    package_version: str
    groups: NotRequired[list[Group]]
    security_schemes: dict[str, SecurityScheme]
