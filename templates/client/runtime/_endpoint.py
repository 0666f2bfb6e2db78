"""What every endpoint shares: input validation and the status/result/cancel calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import pydantic

from . import _files, _log, _storage
from . import _protocol as protocol
from ._handles import AsyncHandle, Handle
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


# Stands in for a file still to be uploaded while the body is validated (a URL, as the field wants).
_PENDING_URL = "https://upload.pending.invalid/file"


def prepare(
    endpoint: str,
    model: type[pydantic.BaseModel],
    payload: Mapping[str, Any],
    file_fields: Mapping[str, tuple[str, ...]],
    *,
    inline_up_to: int | None = None,
    validate: bool = True,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body for `payload` (wire names), or InputValidationError naming every broken rule.

    File fields above `inline_up_to` bytes stay PendingUploads (uploaded before the submit);
    `validate=False` sends the values as given; `extra_body` fields are added unchecked.
    """
    values = {name: value for name, value in payload.items() if value is not None}
    problems: list[FieldProblem] = []
    pending: dict[str, _files.PendingUpload] = {}
    for name, accepted in file_fields.items():
        if name in values:
            try:
                converted = _files.to_url(
                    values[name], name, accepted if validate else (), inline_up_to
                )
            except _files.FileTypeProblem as error:
                problems.append(error.problem)
                continue
            if isinstance(converted, _files.PendingUpload):
                pending[name] = converted
                converted = _PENDING_URL
            values[name] = converted
    if not validate:
        return {**values, **pending, **(extra_body or {})}
    if not problems:
        try:
            body = model.model_validate(values).model_dump(
                mode="json", by_alias=True, exclude_unset=True
            )
        except pydantic.ValidationError as error:
            problems = problems_of(error)
        else:
            if pending or extra_body:
                body.update(pending)
                body.update(extra_body or {})
            return body
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
    file_fields: ClassVar[dict[str, tuple[str, ...]]] = {}

    def _parse(self, data: Any) -> OutputT:
        return data  # type: ignore[no-any-return]

    def parse_webhook(
        self, body: bytes | str | dict[str, Any]
    ) -> protocol.WebhookPayload:
        """Read what the service POSTed to your webhook_url; a successful payload is typed."""
        return protocol.parse_webhook(body, self._parse)

    def verify_webhook(
        self,
        headers: Mapping[str, str],
        body: bytes | str,
        *,
        jwks: Any = None,
        tolerance: float = 300.0,
    ) -> protocol.WebhookPayload:
        """Check the delivery's signature (see `verify_webhook`), then parse it typed."""
        from ._webhooks import verify_webhook

        return verify_webhook(
            headers, body, jwks=jwks, tolerance=tolerance, parse=self._parse
        )

    def _prepared(
        self,
        settings: protocol.Settings,
        model: type[pydantic.BaseModel],
        payload: Mapping[str, Any],
        extra_body: Mapping[str, Any] | None,
        validate: bool,
    ) -> dict[str, Any]:
        return prepare(
            self.path,
            model,
            payload,
            self.file_fields,
            inline_up_to=settings.inline_files_up_to,
            validate=validate,
            extra_body=extra_body,
        )


def _submit_flow(
    settings: protocol.Settings,
    path: str,
    body: Any,
    webhook_url: str | None,
    headers: Mapping[str, str],
) -> protocol.Flow[protocol.RequestHandle]:
    """Big file inputs to storage first, then the submit."""
    body = yield from _storage.resolve(settings, body)
    return (yield from protocol.submit(settings, path, body, webhook_url, headers))


def _run_flow(
    settings: protocol.Settings,
    path: str,
    body: Any,
    parse: Callable[[Any], OutputT],
    timeout: float | None,
    on_update: Callable[[protocol.Status], Any] | None,
    headers: Mapping[str, str],
) -> protocol.Flow[OutputT]:
    body = yield from _storage.resolve(settings, body)
    return (
        yield from protocol.run(
            settings, path, body, parse, timeout, on_update, None, headers
        )
    )


def _bound(handle: protocol.RequestHandle, endpoint: Any, kind: type[Any]) -> Any:
    return kind(
        handle.request_id,
        handle.status_url,
        handle.response_url,
        handle.cancel_url,
        endpoint,
    )


def app_id_of(app: str) -> str:
    """owner/alias of an app id with a subpath (`fal-ai/flux-lora/inpainting` -> `fal-ai/flux-lora`);
    `workflows/` and `comfy/` are namespaces before the owner."""
    parts = [part for part in app.strip("/").split("/") if part]
    keep = 3 if parts and parts[0] in ("workflows", "comfy") else 2
    return "/".join(parts[:keep])


class Endpoint(_Shared[OutputT]):
    """Base of the generated sync endpoint classes."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def status_stream(
        self, request: protocol.RequestHandle | str, *, logs: bool = True
    ) -> Iterator[protocol.Status]:
        """Push updates over server-sent events until COMPLETED (new log lines only once)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        call = protocol.stream_call(self._client._settings, handle, logs)
        stream = protocol.StatusStream(handle.request_id)
        started = time.monotonic()
        with self._client._http.stream(
            call.method, call.url, params=call.params, headers=call.headers
        ) as response:
            _log.exchange(call, 1, time.monotonic() - started, response.status_code)
            if response.status_code >= 400:
                response.read()
                protocol.raise_for_reply(reply_of(response))
            for line in response.iter_lines():
                update = stream.feed(line)
                if update is not None:
                    yield update
                if stream.done:
                    return

    def status(
        self, request: protocol.RequestHandle | str, *, logs: bool = False
    ) -> protocol.Status:
        """The request's status: Queued(position), InProgress(logs) or Completed(logs, metrics, error)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return self._client._drive(
            protocol.status(self._client._settings, handle, logs)
        )

    def result(
        self,
        request: protocol.RequestHandle | str,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> OutputT:
        """The output of a completed request; NotReadyError while it runs, unless `wait=True`."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        if wait:
            self.wait(handle, timeout=timeout)
        return self._client._drive(
            protocol.result(self._client._settings, handle, self._parse)
        )

    def response(
        self,
        request: protocol.RequestHandle | str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> protocol.Response[OutputT]:
        """The output with its request id, billable units and metrics (waits unless `wait=False`)."""
        settings = self._client._settings
        handle = protocol.handle_for(settings, self.app_id, request)
        if wait:
            return self._client._drive(
                protocol.wait_response(settings, handle, self._parse, timeout, None)
            )
        return self._client._drive(protocol.response(settings, handle, self._parse))

    def _body(
        self,
        model: type[pydantic.BaseModel],
        payload: Mapping[str, Any],
        extra_body: Mapping[str, Any] | None,
        validate: bool,
    ) -> dict[str, Any]:
        return self._prepared(
            self._client._settings, model, payload, extra_body, validate
        )

    def _submit(
        self, body: dict[str, Any], webhook_url: str | None, headers: Mapping[str, str]
    ) -> Handle[OutputT]:
        handle = self._client._drive(
            _submit_flow(self._client._settings, self.path, body, webhook_url, headers)
        )
        return _bound(handle, self, Handle)  # type: ignore[no-any-return]

    def _run(
        self,
        body: dict[str, Any],
        timeout: float | None,
        on_update: Callable[[protocol.Status], Any] | None,
        headers: Mapping[str, str],
    ) -> OutputT:
        return self._client._drive(
            _run_flow(
                self._client._settings,
                self.path,
                body,
                self._parse,
                timeout,
                on_update,
                headers,
            )
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
        started = time.monotonic()
        async with self._client._http.stream(
            call.method, call.url, params=call.params, headers=call.headers
        ) as response:
            _log.exchange(call, 1, time.monotonic() - started, response.status_code)
            if response.status_code >= 400:
                await response.aread()
                protocol.raise_for_reply(reply_of(response))
            async for line in response.aiter_lines():
                update = stream.feed(line)
                if update is not None:
                    yield update
                if stream.done:
                    return

    async def _body(
        self,
        model: type[pydantic.BaseModel],
        payload: Mapping[str, Any],
        extra_body: Mapping[str, Any] | None,
        validate: bool,
    ) -> dict[str, Any]:
        # Reading a local file would block the event loop: do that part in a thread.
        settings = self._client._settings
        if needs_io(payload):
            return await asyncio.to_thread(
                self._prepared, settings, model, payload, extra_body, validate
            )
        return self._prepared(settings, model, payload, extra_body, validate)

    async def _submit(
        self, body: dict[str, Any], webhook_url: str | None, headers: Mapping[str, str]
    ) -> AsyncHandle[OutputT]:
        handle = await self._client._drive(
            _submit_flow(self._client._settings, self.path, body, webhook_url, headers)
        )
        return _bound(handle, self, AsyncHandle)  # type: ignore[no-any-return]

    async def _run(
        self,
        body: dict[str, Any],
        timeout: float | None,
        on_update: Callable[[protocol.Status], Any] | None,
        headers: Mapping[str, str],
    ) -> OutputT:
        flow = _run_flow(
            self._client._settings,
            self.path,
            body,
            self._parse,
            timeout,
            on_update,
            headers,
        )
        return await self._client._drive(flow)

    async def status(
        self, request: protocol.RequestHandle | str, *, logs: bool = False
    ) -> protocol.Status:
        """The request's status: Queued(position), InProgress(logs) or Completed(logs, metrics, error)."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        return await self._client._drive(
            protocol.status(self._client._settings, handle, logs)
        )

    async def result(
        self,
        request: protocol.RequestHandle | str,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> OutputT:
        """The output of a completed request; NotReadyError while it runs, unless `wait=True`."""
        handle = protocol.handle_for(self._client._settings, self.app_id, request)
        if wait:
            await self.wait(handle, timeout=timeout)
        return await self._client._drive(
            protocol.result(self._client._settings, handle, self._parse)
        )

    async def response(
        self,
        request: protocol.RequestHandle | str,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> protocol.Response[OutputT]:
        """The output with its request id, billable units and metrics (waits unless `wait=False`)."""
        settings = self._client._settings
        handle = protocol.handle_for(settings, self.app_id, request)
        if wait:
            return await self._client._drive(
                protocol.wait_response(settings, handle, self._parse, timeout, None)
            )
        return await self._client._drive(
            protocol.response(settings, handle, self._parse)
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


class _RawEndpoint(Endpoint[Any]):
    def __init__(self, client: Client, app: str) -> None:
        super().__init__(client)
        self.path = "/" + app.strip("/")
        self.app_id = app_id_of(app)


class _AsyncRawEndpoint(AsyncEndpoint[Any]):
    def __init__(self, client: AsyncClient, app: str) -> None:
        super().__init__(client)
        self.path = "/" + app.strip("/")
        self.app_id = app_id_of(app)


class Raw:
    """Queue apps the docs do not cover, by id (`owner/alias[/subpath]`): the arguments go as
    given (no validation), the output comes back as JSON; retries, waiting and errors as typed calls.
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def submit(
        self,
        app: str,
        arguments: Mapping[str, Any],
        *,
        webhook_url: str | None = None,
        priority: str | None = None,
        hint: str | None = None,
        start_timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Handle[Any]:
        controls = protocol.queue_headers(priority, hint, start_timeout, headers)
        return _RawEndpoint(self._client, app)._submit(
            dict(arguments), webhook_url, controls
        )

    def run(
        self,
        app: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        on_update: Callable[[protocol.Status], Any] | None = None,
        priority: str | None = None,
        hint: str | None = None,
        start_timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        controls = protocol.queue_headers(priority, hint, start_timeout, headers)
        return _RawEndpoint(self._client, app)._run(
            dict(arguments), timeout, on_update, controls
        )

    def status(
        self, app: str, request: protocol.RequestHandle | str, *, logs: bool = False
    ) -> protocol.Status:
        return _RawEndpoint(self._client, app).status(request, logs=logs)

    def result(
        self, app: str, request: protocol.RequestHandle | str, *, wait: bool = False
    ) -> Any:
        return _RawEndpoint(self._client, app).result(request, wait=wait)

    def cancel(self, app: str, request: protocol.RequestHandle | str) -> str:
        return _RawEndpoint(self._client, app).cancel(request)


class AsyncRaw:
    """The async twin of Raw."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def submit(
        self,
        app: str,
        arguments: Mapping[str, Any],
        *,
        webhook_url: str | None = None,
        priority: str | None = None,
        hint: str | None = None,
        start_timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncHandle[Any]:
        controls = protocol.queue_headers(priority, hint, start_timeout, headers)
        return await _AsyncRawEndpoint(self._client, app)._submit(
            dict(arguments), webhook_url, controls
        )

    async def run(
        self,
        app: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        on_update: Callable[[protocol.Status], Any] | None = None,
        priority: str | None = None,
        hint: str | None = None,
        start_timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        controls = protocol.queue_headers(priority, hint, start_timeout, headers)
        return await _AsyncRawEndpoint(self._client, app)._run(
            dict(arguments), timeout, on_update, controls
        )

    async def status(
        self, app: str, request: protocol.RequestHandle | str, *, logs: bool = False
    ) -> protocol.Status:
        return await _AsyncRawEndpoint(self._client, app).status(request, logs=logs)

    async def result(
        self, app: str, request: protocol.RequestHandle | str, *, wait: bool = False
    ) -> Any:
        return await _AsyncRawEndpoint(self._client, app).result(request, wait=wait)

    async def cancel(self, app: str, request: protocol.RequestHandle | str) -> str:
        return await _AsyncRawEndpoint(self._client, app).cancel(request)
