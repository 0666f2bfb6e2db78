"""What every endpoint shares: input validation and the status/result/cancel calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pydantic

from . import _files
from . import _protocol as protocol
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
            return model.model_validate(values).model_dump(
                mode="json", by_alias=True, exclude_unset=True
            )
        except pydantic.ValidationError as error:
            problems = [_problem(item) for item in error.errors(include_url=False)]
    raise InputValidationError(endpoint, problems)


def _problem(item: Any) -> FieldProblem:
    field = ".".join(str(part) for part in item.get("loc", ())) or "(body)"
    constraint = _CONSTRAINTS.get(item.get("type", ""), "type")
    message = str(item.get("msg", "invalid"))
    if "input" in item and constraint != "required":
        message += f" (got {item['input']!r:.80})"
    return FieldProblem(field, constraint, message)


def needs_io(payload: Mapping[str, Any]) -> bool:
    return any(isinstance(value, Path) for value in payload.values())


class Endpoint(Generic[OutputT]):
    """Base of the generated sync endpoint classes."""

    path: str = ""
    app_id: str = ""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _parse(self, data: Any) -> OutputT:
        return data  # type: ignore[no-any-return]

    def status(
        self, request: protocol.RequestHandle | str, *, logs: bool = False
    ) -> protocol.Status:
        """The request's status: Queued(position), InProgress(logs) or Completed(logs, metrics, error)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return self._client._drive(
            protocol.status(self._client._settings, handle, logs)
        )

    def result(self, request: protocol.RequestHandle | str) -> OutputT:
        """The output of a completed request."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return self._client._drive(
            protocol.result(self._client._settings, handle, self._parse)
        )

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
        return self._client._drive(
            protocol.wait(self._client._settings, handle, timeout, on_update)
        )


class AsyncEndpoint(Generic[OutputT]):
    """Base of the generated async endpoint classes."""

    path: str = ""
    app_id: str = ""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def _parse(self, data: Any) -> OutputT:
        return data  # type: ignore[no-any-return]

    async def _prepare(
        self,
        model: type[pydantic.BaseModel],
        payload: Mapping[str, Any],
        file_fields: Mapping[str, tuple[str, ...]],
    ) -> dict[str, Any]:
        # Reading a local file would block the event loop: do that part in a thread.
        if needs_io(payload):
            return await asyncio.to_thread(
                prepare, self.path, model, payload, file_fields
            )
        return prepare(self.path, model, payload, file_fields)

    async def status(
        self, request: protocol.RequestHandle | str, *, logs: bool = False
    ) -> protocol.Status:
        """The request's status: Queued(position), InProgress(logs) or Completed(logs, metrics, error)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(
            protocol.status(self._client._settings, handle, logs)
        )

    async def result(self, request: protocol.RequestHandle | str) -> OutputT:
        """The output of a completed request."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(
            protocol.result(self._client._settings, handle, self._parse)
        )

    async def cancel(self, request: protocol.RequestHandle | str) -> str:
        """Ask to cancel: returns CANCELLATION_REQUESTED, or ALREADY_COMPLETED if it had finished."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(
            protocol.cancel(self._client._settings, handle)
        )

    async def wait(
        self,
        request: protocol.RequestHandle | str,
        *,
        timeout: float | None = None,
        on_update: Callable[[protocol.Status], Any] | None = None,
    ) -> protocol.Completed:
        """Poll until the request completes (see `run` for timeout and on_update)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(
            protocol.wait(self._client._settings, handle, timeout, on_update)
        )
