"""Plain request/response endpoints: parameters into the URL as OpenAPI serializes them, the
body in exactly its declared content type, credentials where the operation's security says, the
answer parsed by status code and media type. Shared by Client and AsyncClient, like the queue
protocol.

`NOT_GIVEN` (the default of every optional argument) leaves a parameter or field out; `None`
sends JSON `null` where the schema allows null (and is left out where it does not).
"""

from __future__ import annotations

import json
import mimetypes
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import quote

import pydantic

from . import _files
from . import _protocol as protocol
from ._auth import placed
from ._endpoint import problems_of
from .errors import APIError, FieldProblem, InputValidationError, error_for

if TYPE_CHECKING:
    from typing_extensions import Self

Upload = Path | bytes | tuple[str, bytes]


class NotGiven:
    """The type of NOT_GIVEN: an argument the caller left out (distinct from None = null)."""

    _instance: ClassVar[NotGiven | None] = None

    def __new__(cls) -> Self:
        if not isinstance(cls._instance, cls):
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


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
    # OpenAPI `2XX`-style ranges and `default`: the model of any status not documented alone
    ranges: Mapping[str, type[pydantic.BaseModel] | None] = field(default_factory=dict)
    # OpenAPI parameter serialization by Python name: (style, explode)
    styles: Mapping[str, tuple[str, bool]] = field(default_factory=dict)
    nullable: frozenset[str] = (
        frozenset()
    )  # names (Python for parameters, wire for fields) that take null
    body_required: bool = True  # a required body is sent even when no field was given
    security: tuple[
        tuple[str, ...], ...
    ] = ()  # alternatives of scheme ids; () = no credentials
    base_url: str = (
        ""  # the documented server of this operation's input ("" = the client's)
    )
    accept: str = ""  # the documented response media types
    media_types: Mapping[int, str] = field(
        default_factory=dict
    )  # documented media type by status
    # statuses whose list model is answered as the list itself
    unwrap: frozenset[int] = frozenset()


@dataclass(frozen=True)
class RawResponse:
    """`client.with_raw_response.<method>(...)`: the status, headers and body, and the parsed
    value the plain call returns."""

    status_code: int
    headers: Mapping[str, str]  # lower-case names
    content: bytes
    parsed: Any


def given(values: Mapping[str, Any], nullable: frozenset[str]) -> dict[str, Any]:
    """The values to send: NOT_GIVEN left out; None kept only where the schema takes null."""
    return {
        k: v
        for k, v in values.items()
        if not isinstance(v, NotGiven) and (v is not None or k in nullable)
    }


def check_params(
    operation: Operation,
    model: type[pydantic.BaseModel] | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Validated parameter values by Python name, JSON-ready; InputValidationError otherwise."""
    present = given(values, operation.nullable)
    if model is None:
        return present
    try:
        # by alias: the model's field names are its own (naming.field_names); the aliases are
        # the Python names of the parameters, which the request is built from
        checked: dict[str, Any] = as_given(
            model.model_validate(present).model_dump(
                mode="json", by_alias=True, exclude_unset=True
            ),
            present,
        )
        return checked
    except pydantic.ValidationError as error:
        wire = {py: name for py, name, _ in operation.params}
        problems = [
            FieldProblem(wire.get(p.field, p.field), p.constraint, p.message)
            for p in problems_of(error)
        ]
        raise InputValidationError(operation.path, problems) from None


def uploads(
    operation: Operation,
    files: Mapping[str, Upload | NotGiven | None],
    required: tuple[str, ...],
) -> dict[str, tuple[str, bytes, str]]:
    """Multipart file parts from Paths, bytes or (file name, bytes)."""
    parts: dict[str, tuple[str, bytes, str]] = {}
    present = {
        name: value
        for name, value in files.items()
        if value is not None and not isinstance(value, NotGiven)
    }
    missing = [name for name in required if name not in present]
    if missing:
        raise InputValidationError(
            operation.path,
            [FieldProblem(name, "required", "Field required") for name in missing],
        )
    for name, value in present.items():
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


def prepare_body(
    operation: Operation,
    model: type[pydantic.BaseModel] | None,
    payload: Any,
    file_fields: Mapping[str, tuple[str, ...]],
    whole: bool = False,
) -> Any:
    """The body to send: validated fields (json/form/multipart) or the raw value as given;
    NOT_GIVEN when there is nothing to send. A `whole` body (one argument for all of it) is
    sent as given, even empty: only NOT_GIVEN leaves an optional one out."""
    if isinstance(payload, NotGiven) or (payload is None and model is None):
        return NOT_GIVEN
    if model is None:
        return payload
    if isinstance(payload, Mapping):
        values = (
            {k: v for k, v in payload.items() if not isinstance(v, NotGiven)}
            if whole  # the caller's own object: its nulls are meant
            else given(payload, operation.nullable)
        )
        if not values and not operation.body_required and not whole:
            return NOT_GIVEN
        problems: list[FieldProblem] = []
        for name, accepted in file_fields.items():
            if values.get(name) is not None:
                try:
                    values[name] = _files.to_url(values[name], name, accepted)
                except _files.FileTypeProblem as error:
                    problems.append(error.problem)
        if problems:
            raise InputValidationError(operation.path, problems)
        payload = values
    try:
        return as_given(
            model.model_validate(payload).model_dump(
                mode="json", by_alias=True, exclude_unset=True
            ),
            payload,
        )
    except pydantic.ValidationError as error:
        raise InputValidationError(operation.path, problems_of(error)) from None


def as_given(dumped: Any, given_value: Any) -> Any:
    """The validated value, where the caller passed text that validated as text: that text as
    given (a date-time `"2025-08-15"` is not rewritten to `"2025-08-15T00:00:00"`, which drops
    the offset RFC 3339 requires; a datetime object still goes as ISO 8601 with its offset).
    """
    if isinstance(given_value, str) and isinstance(dumped, str):
        return given_value
    if isinstance(dumped, dict) and isinstance(given_value, Mapping):
        return {
            key: as_given(value, given_value[key]) if key in given_value else value
            for key, value in dumped.items()
        }
    if (
        isinstance(dumped, list)
        and isinstance(given_value, (list, tuple))
        and len(dumped) == len(given_value)
    ):
        return [as_given(value, item) for value, item in zip(dumped, given_value)]
    return dumped


def build_call(
    settings: protocol.Settings,
    operation: Operation,
    params: Mapping[str, Any],
    body: Any = NOT_GIVEN,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    extra_headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> protocol.HttpCall:
    path = operation.path
    query: list[tuple[str, str]] = []
    # the configured `Authorization` of queue calls is not sent here: the operation says its own
    headers = {k: v for k, v in settings.headers.items() if k != "Authorization"}
    if operation.accept:
        headers["Accept"] = operation.accept
    else:
        headers.pop("Accept", None)
    cookies: list[tuple[str, str]] = []
    own_headers: set[str] = set()
    for py_name, wire, location in operation.params:
        if py_name not in params:
            continue
        if location == "header":
            own_headers.add(wire)
        value = defined(params[py_name]) if location != "path" else params[py_name]
        if isinstance(value, NotGiven):
            continue  # null, [] and {} are undefined (RFC 6570 §2.3): nothing is sent
        style, explode = operation.styles.get(py_name) or _default_style(location)
        if location == "path":
            path = path.replace(
                "{" + wire + "}", path_value(wire, value, style, explode)
            )
        elif location == "query":
            pairs = query_pairs(wire, value, style, explode)
            if isinstance(value, dict) and style == "form" and explode:
                # an exploded object's properties are keys of the query itself: one that
                # another parameter already put there with this value is there for both
                pairs = [pair for pair in pairs if pair not in query]
            query += pairs
        elif location == "header":
            headers[wire] = simple_value(value, explode)
        else:
            cookies += query_pairs(wire, value, "form", explode)
    # a parameter of the same name, passed explicitly, wins over a stored credential
    for location, name, value in placed(
        operation.security, settings.credentials, f"{operation.method} {operation.path}"
    ):
        if location == "header" and name.lower() not in {
            h.lower() for h in own_headers
        }:
            headers[name] = value
        elif location == "query" and all(key != name for key, _ in query):
            query.append((name, value))
        elif location == "cookie" and all(key != name for key, _ in cookies):
            cookies.append((name, value))
    if cookies:
        headers["Cookie"] = "; ".join(
            f"{name}={quote(value, safe='')}" for name, value in cookies
        )
    headers.update(extra_headers or {})
    base = settings.base_url_override or operation.base_url or settings.base_url
    url = base.rstrip("/") + path
    call = protocol.HttpCall(
        operation.method,
        url,
        headers=headers,
        idempotent=operation.method in IDEMPOTENT,
    )
    call = _replace(call, query=tuple(query), timeout=timeout)
    if isinstance(body, NotGiven) and not files:
        return call
    if operation.encoding == "json":
        return _replace(call, json=body)
    if operation.encoding == "form":
        pairs = [
            pair
            for name, value in (body if isinstance(body, Mapping) else {}).items()
            for pair in query_pairs(name, value, "form", True)
        ]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        return _replace(call, content=encoded.encode("ascii"))
    if operation.encoding == "multipart":
        parts, content_type = multipart(
            body if isinstance(body, Mapping) else {}, files or {}
        )
        headers["Content-Type"] = content_type
        return _replace(call, content=parts)
    if operation.encoding == "raw":
        content = (
            body.encode()
            if isinstance(body, str)
            else b"" if isinstance(body, NotGiven) else bytes(body)
        )
        headers["Content-Type"] = operation.content_type or "application/octet-stream"
        return _replace(call, content=content)
    return call


IDEMPOTENT = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")


def _default_style(location: str) -> tuple[str, bool]:
    return ("form", True) if location in ("query", "cookie") else ("simple", False)


def _replace(call: protocol.HttpCall, **changes: Any) -> protocol.HttpCall:
    values = {name: getattr(call, name) for name in call.__dataclass_fields__}
    values.update(changes)
    return protocol.HttpCall(**values)


def _text(value: Any) -> str:
    """A scalar as text: booleans as JSON writes them, integral numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def defined(value: Any) -> Any:
    """A parameter value without its undefined parts (RFC 6570 §2.3, which OpenAPI's
    parameter serialization follows): null items and properties left out; NOT_GIVEN when
    nothing is left (null, an empty array or object)."""
    if isinstance(value, list):
        value = [item for item in value if item is not None]
    elif isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
    return NOT_GIVEN if value is None or value == [] or value == {} else value


def simple_value(value: Any, explode: bool) -> str:
    """OpenAPI `simple`: arrays "a,b"; objects "k,v,k2,v2" (explode: "k=v,k2=v2")."""
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if isinstance(value, dict):
        if explode:
            return ",".join(f"{k}={_text(v)}" for k, v in value.items())
        return ",".join(f"{k},{_text(v)}" for k, v in value.items())
    return _text(value)


def path_value(name: str, value: Any, style: str, explode: bool) -> str:
    """A path parameter as `simple` (default), `label` (".a.b") or `matrix` (";id=a,b")."""
    if style == "label":
        sep = "." if explode else ","
        items = _items(value, explode)
        return "." + sep.join(quote(item, safe="=") for item in items)
    if style == "matrix":
        if isinstance(value, list) and explode:
            return "".join(f";{name}={quote(_text(item), safe='')}" for item in value)
        if isinstance(value, dict) and explode:
            return "".join(f";{k}={quote(_text(v), safe='')}" for k, v in value.items())
        return f";{name}=" + ",".join(
            quote(item, safe="") for item in _items(value, False)
        )
    if isinstance(value, (list, dict)):
        return ",".join(quote(item, safe="=") for item in _items(value, explode))
    return quote(_text(value), safe="")


def _items(value: Any, explode: bool) -> list[str]:
    if isinstance(value, list):
        return [_text(item) for item in value]
    if isinstance(value, dict):
        if explode:
            return [f"{k}={_text(v)}" for k, v in value.items()]
        return [part for k, v in value.items() for part in (str(k), _text(v))]
    return [_text(value)]


def query_pairs(
    name: str, value: Any, style: str, explode: bool
) -> list[tuple[str, str]]:
    """OpenAPI query serialization: `form` (explode: repeated keys / one key per property),
    `spaceDelimited`, `pipeDelimited`, `deepObject`; `json` for a parameter with `content`.
    """
    if style == "json":
        return [(name, json.dumps(value, separators=(",", ":"), ensure_ascii=False))]
    if isinstance(value, list):
        if style == "spaceDelimited" and not explode:
            return [(name, " ".join(_text(item) for item in value))]
        if style == "pipeDelimited" and not explode:
            return [(name, "|".join(_text(item) for item in value))]
        if explode:
            return [(name, _text(item)) for item in value]
        return [(name, ",".join(_text(item) for item in value))]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", _text(v)) for k, v in value.items()]
        if explode:
            return [(str(k), _text(v)) for k, v in value.items()]
        return [
            (
                name,
                ",".join(part for k, v in value.items() for part in (str(k), _text(v))),
            )
        ]
    return [(name, _text(value))]


def multipart(
    fields: Mapping[str, Any], files: Mapping[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578), with or without file parts; arrays are
    repeated parts, objects JSON parts."""
    boundary = uuid.uuid4().hex
    chunks: list[bytes] = []

    def part(
        name: str,
        content: bytes,
        file_name: str | None = None,
        content_type: str | None = None,
    ) -> None:
        disposition = f'form-data; name="{_quoted(name)}"' + (
            f'; filename="{_quoted(file_name)}"' if file_name is not None else ""
        )
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode("utf-8") + b"\r\n" + content + b"\r\n")

    for name, value in fields.items():
        if name in files:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                part(
                    name,
                    json.dumps(item, ensure_ascii=False).encode("utf-8"),
                    content_type="application/json",
                )
            else:
                part(name, _text(item).encode("utf-8"))
    for name, (file_name, content, content_type) in files.items():
        part(name, content, file_name, content_type)
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _quoted(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', "%22")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )


def call(
    settings: protocol.Settings, operation: Operation, request: protocol.HttpCall
) -> protocol.Flow[Any]:
    """Send (with retries where the method is idempotent) and parse the answer by status code;
    a documented error body arrives typed on the raised error's `parsed`."""
    try:
        reply = yield from protocol.send(request, settings.retry)
    except APIError as error:
        model = model_for(operation, error.status_code)
        if model is not None:
            try:
                error.parsed = model.model_validate(error.body)
            except pydantic.ValidationError:
                pass
        raise
    _as_documented(operation, reply)
    parsed = parse(model_for(operation, reply.status_code), reply)
    if reply.status_code in operation.unwrap and isinstance(parsed, pydantic.RootModel):
        parsed = parsed.root
    if settings.raw:
        return RawResponse(reply.status_code, reply.headers, reply.body, parsed)
    return parsed


def model_for(operation: Operation, status: int) -> type[pydantic.BaseModel] | None:
    """The documented model of a status: its own, else its range's (`4XX`), else `default`'s;
    an undocumented success (200 where 201 is documented) takes the one documented success
    model, so that the method returns what its signature says (or a typed error)."""
    if status in operation.responses:
        return operation.responses[status]
    found = operation.ranges.get(f"{status // 100}XX", operation.ranges.get("default"))
    successes = {
        model
        for code, model in operation.responses.items()
        if 200 <= code < 300 and model is not None
    }
    if found is None and 200 <= status < 300 and len(successes) == 1:
        return successes.pop()
    return found


def _as_documented(operation: Operation, reply: protocol.Reply) -> None:
    """What the method's signature cannot return is a typed error: a success documented as
    JSON that arrives as something else (an HTML page from a proxy, text) or empty is a
    MalformedResponseError; a redirect the document does not name (the client never follows
    one: the credentials would go along) is an APIError with its status."""
    status = reply.status_code
    if (
        300 <= status < 400
        and status not in operation.responses
        and "3XX" not in operation.ranges
    ):
        raise error_for(
            status,
            protocol._error_body(reply),
            protocol.request_id_of(reply),
            None,
            reply.headers,
        )
    if (
        model_for(operation, status) is None
        or operation.method == "HEAD"
        or status in (204, 205, 304)
    ):
        return
    documented = operation.media_types.get(status, "")
    if (
        not documented and 200 <= status < 300
    ):  # an undocumented success, read as the documented one
        kinds = {
            kind for code, kind in operation.media_types.items() if 200 <= code < 300
        }
        documented = kinds.pop() if len(kinds) == 1 else ""
    if not _is_json(documented):
        return
    given = reply.headers.get("content-type", "")
    if not reply.body:
        raise protocol.malformed(
            reply, f"the answer is empty; expected {documented}, as documented"
        )
    if given and not _is_json(given):
        raise protocol.malformed(
            reply, f"the answer is not {documented}, as documented"
        )


def _is_json(media_type: str) -> bool:
    kind = media_type.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def parse(model: type[pydantic.BaseModel] | None, reply: protocol.Reply) -> Any:
    """JSON answers as data (typed where a model is documented), text as str, anything else
    (images, archives, octet-stream) as bytes."""
    if not reply.body:
        return None
    content_type = reply.headers.get("content-type", "").split(";")[0].strip().lower()
    if "json" in content_type or (not content_type and model is not None):
        # Declared JSON must be JSON (MalformedResponseError), and fit its model (ResponseValidationError).
        data = protocol.decode_json(reply)
        try:
            return model.model_validate(data) if model is not None else data
        except pydantic.ValidationError as error:
            raise protocol.unfit(reply, data, error) from None
    if (
        content_type.startswith("text/")
        or content_type.endswith("xml")
        or content_type in TEXT_TYPES
    ):
        return reply.body.decode(
            _charset(reply.headers.get("content-type", "")), "replace"
        )
    return reply.body


TEXT_TYPES = (
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/yaml",
)


def _charset(content_type: str) -> str:
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"
