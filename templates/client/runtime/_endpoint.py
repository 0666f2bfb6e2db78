"""What every endpoint shares: input validation and the status/result/cancel calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pydantic

from . import _files
from . import _protocol as protocol
from ._http import reply_of
from .errors import FieldProblem, InputValidationError

if TYPE_CHECKING:
    from .client import AsyncClient, Client

OutputT = TypeVar("OutputT")

# pydantic error types -> the schema keyword the value broke
_CONSTRAINTS = {
    "missing": "required",
    "greater_than_equal": "minimum",
    "greater_than": "exclusiveMinimum",
    "less_than_equal": "maximum",
    "less_than": "exclusiveMaximum",
    "literal_error": "enum",
    "enum": "enum",
    "string_too_short": "minLength",
    "string_too_long": "maxLength",
    "too_short": "minItems",
    "too_long": "maxItems",
    "string_pattern_mismatch": "pattern",
    "multiple_of": "multipleOf",
    "extra_forbidden": "additionalProperties",
}


def prepare(
    endpoint: str,
    model: type[pydantic.BaseModel],
    payload: Mapping[str, Any],
    file_fields: Mapping[str, tuple[str, ...]],
) -> dict[str, Any]:
    """The JSON body for `payload` (wire names), or InputValidationError naming every broken rule."""
    values = {name: value for name, value in payload.items() if value is not None}
    problems: list[FieldProblem] = []
    for name, accepted in file_fields.items():
        if name in values:
            try:
                values[name] = _files.to_url(values[name], name, accepted)
            except _files.FileTypeProblem as error:
                problems.append(error.problem)
    if not problems:
        try:
            return model.model_validate(values).model_dump(mode="json", by_alias=True, exclude_unset=True)
        except pydantic.ValidationError as error:
            problems = problems_of(error)
    raise InputValidationError(endpoint, problems)


def problems_of(error: pydantic.ValidationError) -> list[FieldProblem]:
    return [_problem(item) for item in error.errors(include_url=False)]


def _problem(item: Any) -> FieldProblem:
    field = ".".join(str(part) for part in item.get("loc", ())) or "(body)"
    constraint = _CONSTRAINTS.get(item.get("type", ""), "type")
    message = str(item.get("msg", "invalid"))
    if "input" in item and constraint != "required":
        message += f" (got {item['input']!r:.80})"
    return FieldProblem(field, constraint, message)


def needs_io(payload: Mapping[str, Any]) -> bool:
    return any(isinstance(value, Path) for value in payload.values())


class _Shared(Generic[OutputT]):
    path: str = ""
    app_id: str = ""

    def _parse(self, data: Any) -> OutputT:
        return data  # type: ignore[no-any-return]

    def parse_webhook(self, body: bytes | str | dict[str, Any]) -> protocol.WebhookPayload:
        """Read what the service POSTed to your webhook_url; a successful payload is typed."""
        return protocol.parse_webhook(body, self._parse)


class Endpoint(_Shared[OutputT]):
    """Base of the generated sync endpoint classes."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def status_stream(self, request: protocol.RequestHandle | str, *, logs: bool = True) -> Iterator[protocol.Status]:
        """Push updates over server-sent events until COMPLETED (new log lines only once)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        call = protocol.stream_call(self._client._settings, handle, logs)
        stream = protocol.StatusStream(handle.request_id)
        with self._client._http.stream(call.method, call.url, params=call.params, headers=call.headers) as response:
            if response.status_code >= 400:
                response.read()
                protocol.raise_for_reply(reply_of(response))
            for line in response.iter_lines():
                update = stream.feed(line)
                if update is not None:
                    yield update
                if stream.done:
                    return

    def status(self, request: protocol.RequestHandle | str, *, logs: bool = False) -> protocol.Status:
        """The request's status: Queued(position), InProgress(logs) or Completed(logs, metrics, error)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return self._client._drive(protocol.status(self._client._settings, handle, logs))

    def result(self, request: protocol.RequestHandle | str) -> OutputT:
        """The output of a completed request."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return self._client._drive(protocol.result(self._client._settings, handle, self._parse))

    def cancel(self, request: protocol.RequestHandle | str) -> str:
        """Ask to cancel: returns CANCELLATION_REQUESTED, or ALREADY_COMPLETED if it had finished."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return self._client._drive(protocol.cancel(self._client._settings, handle))

    def wait(
        self,
        request: protocol.RequestHandle | str,
        *,
        timeout: float | None = None,
        on_update: Callable[[protocol.Status], Any] | None = None,
    ) -> protocol.Completed:
        """Poll until the request completes (see `run` for timeout and on_update)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return self._client._drive(protocol.wait(self._client._settings, handle, timeout, on_update))


class AsyncEndpoint(_Shared[OutputT]):
    """Base of the generated async endpoint classes."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def status_stream(
        self, request: protocol.RequestHandle | str, *, logs: bool = True
    ) -> AsyncIterator[protocol.Status]:
        """Push updates over server-sent events until COMPLETED (new log lines only once)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        call = protocol.stream_call(self._client._settings, handle, logs)
        stream = protocol.StatusStream(handle.request_id)
        async with self._client._http.stream(call.method, call.url, params=call.params, headers=call.headers) as response:
            if response.status_code >= 400:
                await response.aread()
                protocol.raise_for_reply(reply_of(response))
            async for line in response.aiter_lines():
                update = stream.feed(line)
                if update is not None:
                    yield update
                if stream.done:
                    return

    async def _prepare(
        self,
        model: type[pydantic.BaseModel],
        payload: Mapping[str, Any],
        file_fields: Mapping[str, tuple[str, ...]],
    ) -> dict[str, Any]:
        # Reading a local file would block the event loop: do that part in a thread.
        if needs_io(payload):
            return await asyncio.to_thread(prepare, self.path, model, payload, file_fields)
        return prepare(self.path, model, payload, file_fields)

    async def status(self, request: protocol.RequestHandle | str, *, logs: bool = False) -> protocol.Status:
        """The request's status: Queued(position), InProgress(logs) or Completed(logs, metrics, error)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(protocol.status(self._client._settings, handle, logs))

    async def result(self, request: protocol.RequestHandle | str) -> OutputT:
        """The output of a completed request."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(protocol.result(self._client._settings, handle, self._parse))

    async def cancel(self, request: protocol.RequestHandle | str) -> str:
        """Ask to cancel: returns CANCELLATION_REQUESTED, or ALREADY_COMPLETED if it had finished."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(protocol.cancel(self._client._settings, handle))

    async def wait(
        self,
        request: protocol.RequestHandle | str,
        *,
        timeout: float | None = None,
        on_update: Callable[[protocol.Status], Any] | None = None,
    ) -> protocol.Completed:
        """Poll until the request completes (see `run` for timeout and on_update)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(protocol.wait(self._client._settings, handle, timeout, on_update))
