"""What every reader produces, whatever the input format: a SourceDocument of SourceEndpoints.

Conventions every reader follows, so normalize never needs to know the format:
- `method` is upper-case; `path` starts with "/" and carries no scheme or host (a host found in
  the source goes to `servers`).
- Schemas are JSON Schema. References to shared models are `{"$ref": "#/components/schemas/<name>"}`
  with `<name>` a key of `SourceDocument.schemas` (Apifox's `#/definitions/<id>`, percent-encoded
  refs and `x-apifox-refs` are resolved by the reader).
- Examples are parsed JSON where the source holds JSON text; other text stays a string.
- Anything a reader cannot understand becomes a warning in the Report (file, line or pointer),
  or an error (SpecError) when nothing sensible can be produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass
class SourceParameter:
    name: str
    location: str  # "path" | "query" | "header" | "cookie"
    required: bool = False
    description: str = ""
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    example: Any = None
    # OpenAPI serialization: style (form, simple, label, matrix, spaceDelimited,
    # pipeDelimited, deepObject; "json" for a parameter described by `content`) and explode.
    # None = the location's default.
    style: str | None = None
    explode: bool | None = None


@dataclass
class SourceBody:
    # A MIME type: application/json, multipart/form-data, application/x-www-form-urlencoded,
    # text/plain, application/xml, application/octet-stream, ...
    content_type: str
    # For JSON: the body's schema. For form bodies: an object schema, one property per field;
    # file fields are {"type": "string", "format": "binary"}. None when the source gives none.
    schema: dict[str, Any] | None = None
    examples: list[Any] = field(default_factory=list)
    required: bool = True
    # The other documented media types a server takes the same body in: those whose schema
    # is this one's, and raw ones (bytes, any schema).
    also: list[str] = field(default_factory=list)


@dataclass
class SourceResponse:
    code: int
    name: str = ""
    content_type: str = "application/json"
    schema: dict[str, Any] = field(default_factory=dict)
    examples: list[Any] = field(default_factory=list)
    # OpenAPI `1XX`-`5XX` or `default`: this response covers every status of the range (or
    # every undocumented one); `code` is the one it stands for in the registry.
    range: str | None = None
    # Apifox's 说明 of a response, beside its 名称 (`name`): "" when the source has none
    description: str = ""


@dataclass
class SourceEndpoint:
    file: str
    line: int
    title: str
    method: str
    path: str
    description: str = ""
    pointer: str = ""  # where it sits in a JSON/YAML file
    source_id: str | None = (
        None  # the Apifox id or operationId: the stable key for names
    )
    folder: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: str = (
        ""  # Apifox status: released, developing, deprecated, ... ("" when unknown)
    )
    deprecated: bool = False
    parameters: list[SourceParameter] = field(default_factory=list)
    request: SourceBody | None = None
    responses: list[SourceResponse] = field(default_factory=list)
    servers: list[str] = field(
        default_factory=list
    )  # base URLs that apply to this endpoint
    meta: dict[str, str] = field(default_factory=dict)
    request_line: int | None = None
    # Alternatives of scheme ids (keys of SourceDocument.security_schemes) that must all be
    # sent; [] = no credentials; None = not said here (the document's default applies).
    security: list[list[str]] | None = None
    source_text: str = ""  # for finding the line of a field in text formats
    # Constraints stated only in descriptions ("(max 100)") are applied where prose is often
    # the only source (Apifox exports); in OpenAPI the schema is the contract: they are not
    # enforced, and lint suggests declaring them (prose-not-declared).
    prose_constraints: bool = True

    def line_of(self, needle: str, default: int | None = None) -> int | None:
        """First line (1-based) at or after the request body where `needle` occurs."""
        if not self.source_text:
            return default
        start = self.request_line or self.line
        lines = _lines(self.source_text)
        for number in range(start, len(lines) + 1):
            if needle in lines[number - 1]:
                return number
        return default


@dataclass
class SourceDocument:
    file: str
    format: str  # "apifox-docpage" | "apifox-native" | "openapi" | "apifox-markdown"
    endpoints: list[SourceEndpoint] = field(default_factory=list)
    schemas: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # shared models by name
    servers: list[dict[str, str]] = field(
        default_factory=list
    )  # [{"name": ..., "url": ...}]
    # Placements by scheme id (readers/security.py), and the document's default requirement.
    security_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    security: list[list[str]] | None = None
    # What the source says about a folder (Apifox) or tag (OpenAPI `tags[]`), by its path as
    # endpoints' `folder` spells it: (path, description)
    groups: list[tuple[list[str], str]] = field(default_factory=list)


@lru_cache(maxsize=8)
def _lines(text: str) -> tuple[str, ...]:
    # one split per source file, not one per field looked up (a big export has thousands)
    return tuple(text.split("\n"))
