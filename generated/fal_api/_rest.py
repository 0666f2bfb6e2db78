"""Plain request/response endpoints: parameters into the URL, the body in its declared encoding,
the answer parsed by status code. Shared by Client and AsyncClient, like the queue protocol.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pydantic

from . import _protocol as protocol
from ._endpoint import prepare, problems_of
from .errors import FieldProblem, InputValidationError

Upload = Path | bytes | tuple[str, bytes]


@dataclass(frozen=True)
class Operation:
    """What the generated method knows of its endpoint."""

    method: str
    path: str  # template: /users/{id}
    params: tuple[tuple[str, str, str], ...] = ()  # (python name, wire name, location)
    encoding: str | None = (
        None  # "json" | "form" | "multipart" | "raw" | None (no body)
    )
    content_type: str | None = None
    responses: Mapping[int, type[pydantic.BaseModel] | None] = field(
        default_factory=dict
    )


def check_params(
    operation: Operation,
    model: type[pydantic.BaseModel] | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Validated parameter values by Python name, JSON-ready; InputValidationError otherwise."""
    given = {name: value for name, value in values.items() if value is not None}
    if model is None:
        return given
    try:
        return model.model_validate(given).model_dump(mode="json", exclude_unset=True)
    except pydantic.ValidationError as error:
        wire = {py: name for py, name, _ in operation.params}
        problems = [
            FieldProblem(wire.get(p.field, p.field), p.constraint, p.message)
            for p in problems_of(error)
        ]
        raise InputValidationError(operation.path, problems) from None


def uploads(
    operation: Operation, files: Mapping[str, Upload | None], required: tuple[str, ...]
) -> dict[str, tuple[str, bytes, str]]:
    """Multipart file parts from Paths, bytes or (file name, bytes)."""
    parts: dict[str, tuple[str, bytes, str]] = {}
    missing = [name for name in required if files.get(name) is None]
    if missing:
        raise InputValidationError(
            operation.path,
            [FieldProblem(name, "required", "Field required") for name in missing],
        )
    for name, value in files.items():
        if value is None:
            continue
        if isinstance(value, Path):
            parts[name] = (
                value.name,
                value.read_bytes(),
                mimetypes.guess_type(value.name)[0] or "application/octet-stream",
            )
        elif isinstance(value, tuple):
            parts[name] = (
                value[0],
                value[1],
                mimetypes.guess_type(value[0])[0] or "application/octet-stream",
            )
        else:
            parts[name] = (name, bytes(value), "application/octet-stream")
    return parts


def build_call(
    settings: protocol.Settings,
    operation: Operation,
    params: Mapping[str, Any],
    body: Any = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> protocol.HttpCall:
    path = operation.path
    query: dict[str, str | list[str]] = {}
    headers = dict(settings.headers)
    cookies = []
    for py_name, wire, location in operation.params:
        if py_name not in params:
            continue
        value = params[py_name]
        if location == "path":
            path = path.replace("{" + wire + "}", quote(_text(value), safe=""))
        elif location == "query":
            query[wire] = (
                [_text(item) for item in value]
                if isinstance(value, list)
                else _text(value)
            )
        elif location == "header":
            headers[wire] = _text(value)
        else:
            cookies.append(f"{wire}={quote(_text(value), safe='')}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    call = protocol.HttpCall(
        operation.method,
        settings.base_url + path,
        params=query,
        headers=headers,
        idempotent=operation.method in IDEMPOTENT,
    )
    if operation.encoding == "json" and body is not None:
        return _replace(call, json=body)
    if operation.encoding == "form" and body is not None:
        return _replace(call, data={k: _text(v) for k, v in body.items()})
    if operation.encoding == "multipart":
        return _replace(
            call, data={k: _text(v) for k, v in (body or {}).items()}, files=files or {}
        )
    if operation.encoding == "raw" and body is not None:
        content = body.encode() if isinstance(body, str) else bytes(body)
        headers["Content-Type"] = operation.content_type or "application/octet-stream"
        return _replace(call, content=content)
    return call


IDEMPOTENT = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")


def _replace(call: protocol.HttpCall, **changes: Any) -> protocol.HttpCall:
    values = {name: getattr(call, name) for name in call.__dataclass_fields__}
    values.update(changes)
    return protocol.HttpCall(**values)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def call(
    settings: protocol.Settings, operation: Operation, request: protocol.HttpCall
) -> protocol.Flow[Any]:
    """Send (with retries where the method is idempotent) and parse the answer by status code."""
    reply = yield from protocol.send(request, settings.retry)
    return parse(operation.responses, reply)


def parse(
    responses: Mapping[int, type[pydantic.BaseModel] | None], reply: protocol.Reply
) -> Any:
    if not reply.body:
        return None
    content_type = reply.headers.get("content-type", "")
    # Declared JSON must be JSON (MalformedResponseError); undeclared is read as JSON when it is.
    data: Any = (
        protocol.decode_json(reply)
        if "json" in content_type
        else reply.json() if not content_type else reply.body.decode("utf-8", "replace")
    )
    model = responses.get(reply.status_code)
    try:
        return model.model_validate(data) if model is not None else data
    except pydantic.ValidationError as error:
        raise protocol.unfit(reply, data, error) from None


def prepare_body(
    operation: Operation,
    model: type[pydantic.BaseModel] | None,
    payload: Any,
    file_fields: Mapping[str, tuple[str, ...]],
) -> Any:
    """The body to send: validated fields (json/form/multipart) or the raw value as given."""
    if model is None or payload is None:
        return payload
    if isinstance(payload, Mapping):
        return prepare(operation.path, model, payload, file_fields)
    try:
        return model.model_validate(payload).model_dump(
            mode="json", by_alias=True, exclude_unset=True
        )
    except pydantic.ValidationError as error:
        raise InputValidationError(operation.path, problems_of(error)) from None
