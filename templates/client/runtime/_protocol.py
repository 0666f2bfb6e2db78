"""The fal queue protocol, written once for both clients.

Each operation is a generator ("flow") that yields steps (an HTTP call, a sleep, a callback)
and receives their outcomes. `Client` runs the steps with blocking I/O and `AsyncClient` with
asyncio: only that driver differs, never the protocol.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union
from urllib.parse import quote

from .errors import (
    ConnectionFailedError,
    RequestFailedError,
    RequestTimeoutError,
    error_for,
)

T = TypeVar("T")


@dataclass(frozen=True)
class HttpCall:
    method: str
    url: str
    json: Any = None
    params: dict[str, str | list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # carries the key
    data: dict[str, Any] | None = None  # form fields (urlencoded, or beside `files` as multipart)
    files: dict[str, tuple[str, bytes, str]] | None = None  # multipart uploads: name -> (file name, bytes, MIME)
    content: bytes | None = None  # a raw body
    # A call that changes state on the server (submit) is only repeated when it surely never arrived.
    idempotent: bool = True
    query: tuple[tuple[str, str], ...] = ()  # query pairs in order (plain endpoints), beside `params`
    timeout: float | None = None  # this call's own timeout (seconds), else the client's


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")


class TransportFailure(Exception):
    """Raised into a flow by a driver when the call got no reply."""

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Notify:
    callback: Callable[[Any], Any]
    value: Any


Step = Union[HttpCall, Sleep, Notify]
Flow = Generator[Step, Any, T]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for status, result and cancel (and for a submit that never left this machine)."""

    max_attempts: int = 5
    initial_delay: float = 0.25
    max_delay: float = 10.0
    retry_statuses: frozenset[int] = frozenset({408, 409, 429, 502, 503, 504})

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        backoff: float = min(self.initial_delay * 2.0 ** (attempt - 1), self.max_delay)
        return backoff * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class PollPolicy:
    """How `run()` waits: the interval grows from `initial` by `factor` up to `maximum` seconds."""

    initial: float = 0.1
    factor: float = 1.5
    maximum: float = 2.0


@dataclass(frozen=True)
class Settings:
    base_url: str
    headers: dict[str, str] = field(repr=False)  # carries the key
    retry: RetryPolicy
    poll: PollPolicy
    # Plain endpoints: a credential per security scheme (secrets), and the base URL the caller
    # chose ("" = each endpoint's documented server).
    credentials: dict[str, Any] = field(default_factory=dict, repr=False)
    base_url_override: str = ""
    raw: bool = False  # plain endpoints answer a RawResponse (client.with_raw_response)


# --- statuses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestHandle:
    """What a submit returns: the request id and the URLs the server gave for it."""

    request_id: str
    status_url: str
    response_url: str
    cancel_url: str


@dataclass(frozen=True)
class LogLine:
    message: str
    level: str = "INFO"
    source: str = ""
    timestamp: str = ""


@dataclass(frozen=True)
class Queued:
    request_id: str
    position: int


@dataclass(frozen=True)
class InProgress:
    request_id: str
    logs: tuple[LogLine, ...] = ()


@dataclass(frozen=True)
class Completed:
    request_id: str
    logs: tuple[LogLine, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None


Status = Union[Queued, InProgress, Completed]


def parse_status(data: Any, request_id: str) -> Status:
    if not isinstance(data, dict) or "status" not in data:
        raise ValueError(f"not a queue status: {str(data)[:200]}")
    state = data["status"]
    logs = tuple(_log(item) for item in data.get("logs") or [] if isinstance(item, dict))
    if state == "IN_QUEUE":
        return Queued(request_id, int(data.get("queue_position") or 0))
    if state == "IN_PROGRESS":
        return InProgress(request_id, logs)
    if state == "COMPLETED":
        metrics = data.get("metrics")
        if not isinstance(metrics, dict):
            metrics = {}
        return Completed(request_id, logs, metrics, data.get("error"), data.get("error_type"))
    raise ValueError(f"unknown queue status {state!r}")


def _log(item: dict[str, Any]) -> LogLine:
    return LogLine(
        str(item.get("message", "")), str(item.get("level", "INFO")), str(item.get("source", "")), str(item.get("timestamp", ""))
    )


# --- flows --------------------------------------------------------------------------------


def send(call: HttpCall, policy: RetryPolicy) -> Flow[Reply]:
    """One call with retries; an error status becomes a typed error."""
    attempt = 0
    while True:
        attempt += 1
        try:
            reply: Reply = yield call
        except TransportFailure as failure:
            if failure.maybe_sent and not call.idempotent:
                raise ConnectionFailedError(
                    f"{call.method} {call.url}: {failure}; the request may have reached the server, so it was not sent again",
                    maybe_sent=True,
                ) from None
            if attempt >= policy.max_attempts:
                raise ConnectionFailedError(f"{call.method} {call.url}: {failure}", maybe_sent=failure.maybe_sent) from None
            yield Sleep(policy.delay(attempt, None))
            continue
        retry_after = _retry_after(reply)
        if reply.status_code in policy.retry_statuses and call.idempotent and attempt < policy.max_attempts:
            yield Sleep(policy.delay(attempt, retry_after))
            continue
        if reply.status_code >= 400:
            raise error_for(reply.status_code, reply.json(), reply.headers.get("x-fal-request-id"), retry_after)
        return reply


def _retry_after(reply: Reply) -> float | None:
    value = reply.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def submit(settings: Settings, path: str, body: Any, webhook_url: str | None) -> Flow[RequestHandle]:
    params: dict[str, str | list[str]] = {"fal_webhook": webhook_url} if webhook_url else {}
    call = HttpCall("POST", settings.base_url + path, json=body, params=params, headers=settings.headers, idempotent=False)
    reply = yield from send(call, settings.retry)
    data = reply.json()
    try:
        return RequestHandle(data["request_id"], data["status_url"], data["response_url"], data["cancel_url"])
    except (KeyError, TypeError):
        raise ValueError(f"submit answered without a queue envelope: {str(data)[:200]}") from None


def handle_for(settings: Settings, app_id: str, request: RequestHandle | str) -> RequestHandle:
    """A handle from a bare request id: the URLs the service uses (owner/alias, no subpath)."""
    if isinstance(request, RequestHandle):
        return request
    base = f"{settings.base_url}/{app_id}/requests/{quote(request, safe='')}"
    return RequestHandle(request, f"{base}/status", base, f"{base}/cancel")


def status(settings: Settings, handle: RequestHandle, logs: bool) -> Flow[Status]:
    call = HttpCall("GET", handle.status_url, params={"logs": "1" if logs else "0"}, headers=settings.headers)
    reply = yield from send(call, settings.retry)
    return parse_status(reply.json(), handle.request_id)


def result(settings: Settings, handle: RequestHandle, parse: Callable[[Any], T]) -> Flow[T]:
    reply = yield from send(HttpCall("GET", handle.response_url, headers=settings.headers), settings.retry)
    return parse(reply.json())


def cancel(settings: Settings, handle: RequestHandle) -> Flow[str]:
    """CANCELLATION_REQUESTED, or ALREADY_COMPLETED when the request had finished."""
    call = HttpCall("PUT", handle.cancel_url, headers=settings.headers)
    try:
        reply = yield from send(call, settings.retry)
    except Exception as error:
        body = getattr(error, "body", None)
        if getattr(error, "status_code", None) == 400 and isinstance(body, dict) and body.get("status") == "ALREADY_COMPLETED":
            return "ALREADY_COMPLETED"
        raise
    data = reply.json()
    return str(data.get("status", "CANCELLATION_REQUESTED")) if isinstance(data, dict) else "CANCELLATION_REQUESTED"


def wait(
    settings: Settings,
    handle: RequestHandle,
    timeout: float | None,
    on_update: Callable[[Status], Any] | None,
) -> Flow[Completed]:
    """Poll with growing intervals until COMPLETED; on timeout cancel (best effort) and raise."""
    deadline = None if timeout is None else time.monotonic() + timeout
    interval = settings.poll.initial
    logs_seen = 0
    while True:
        current = yield from status(settings, handle, logs=True)
        fresh = current
        if isinstance(current, (InProgress, Completed)):
            fresh = _with_logs(current, current.logs[logs_seen:])
            logs_seen = max(logs_seen, len(current.logs))
        if on_update is not None:
            yield Notify(on_update, fresh)
        if isinstance(current, Completed):
            if current.error:
                raise RequestFailedError(handle.request_id, current.error, current.error_type)
            return current
        pause = interval
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                yield from _cancel_quietly(settings, handle)
                raise RequestTimeoutError(handle.request_id, timeout or 0.0)
            pause = min(pause, left)
        yield Sleep(pause)
        interval = min(interval * settings.poll.factor, settings.poll.maximum)


def _with_logs(current: Status, logs: tuple[LogLine, ...]) -> Status:
    if isinstance(current, InProgress):
        return InProgress(current.request_id, logs)
    if isinstance(current, Completed):
        return Completed(current.request_id, logs, current.metrics, current.error, current.error_type)
    return current


def _cancel_quietly(settings: Settings, handle: RequestHandle) -> Flow[None]:
    try:
        yield from cancel(settings, handle)
    except Exception:  # the timeout is the error worth raising; a failed cancel is not
        pass


def run(
    settings: Settings,
    path: str,
    body: Any,
    parse: Callable[[Any], T],
    timeout: float | None,
    on_update: Callable[[Status], Any] | None,
    webhook_url: str | None = None,
) -> Flow[T]:
    """submit, wait, result."""
    handle = yield from submit(settings, path, body, webhook_url)
    yield from wait(settings, handle, timeout, on_update)
    return (yield from result(settings, handle, parse))


# --- push updates and webhooks --------------------------------------------------------------


def stream_call(settings: Settings, handle: RequestHandle, logs: bool) -> HttpCall:
    """The SSE request behind `status_stream()`: `.../status/stream`."""
    headers = {**settings.headers, "Accept": "text/event-stream"}
    return HttpCall("GET", handle.status_url + "/stream", params={"logs": "1" if logs else "0"}, headers=headers)


class SseDecoder:
    """Server-sent events, one line at a time: returns each complete event's data, parsed."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> Any | None:
        line = line.rstrip("\r\n")
        if line == "":
            if not self._data:
                return None
            text, self._data = "\n".join(self._data), []
            return json.loads(text)
        if line.startswith(":"):  # a comment: the service's keep-alive
            return None
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
        return None


class StatusStream:
    """Turns SSE lines into typed statuses, reporting each log line once."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.decoder = SseDecoder()
        self.logs_seen = 0
        self.done = False

    def feed(self, line: str) -> Status | None:
        data = self.decoder.feed(line)
        if data is None:
            return None
        current = parse_status(data, self.request_id)
        if isinstance(current, (InProgress, Completed)):
            fresh = current.logs[self.logs_seen :]
            self.logs_seen = max(self.logs_seen, len(current.logs))
            current = _with_logs(current, fresh)
        self.done = isinstance(current, Completed)
        return current


def raise_for_reply(reply: Reply) -> None:
    if reply.status_code >= 400:
        raise error_for(reply.status_code, reply.json(), reply.headers.get("x-fal-request-id"), _retry_after(reply))


@dataclass(frozen=True)
class WebhookPayload:
    """What the service POSTs to a `webhook_url` when a request finishes."""

    request_id: str
    gateway_request_id: str | None
    status: str  # "OK" or "ERROR"
    payload: Any  # the typed output on OK; the error body (e.g. {"detail": [...]}) on ERROR
    error: str | None = None
    payload_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "OK" and self.payload_error is None


def parse_webhook(body: bytes | str | dict[str, Any], parse: Callable[[Any], Any]) -> WebhookPayload:
    """Read a webhook delivery; `parse` types the payload of a successful one."""
    data = json.loads(body) if isinstance(body, (bytes, str)) else body
    if not isinstance(data, dict) or "request_id" not in data or "status" not in data:
        raise ValueError("not a webhook payload: expected request_id and status")
    payload = data.get("payload")
    if data["status"] == "OK" and payload is not None and data.get("payload_error") is None:
        payload = parse(payload)
    return WebhookPayload(
        str(data["request_id"]),
        data.get("gateway_request_id"),
        str(data["status"]),
        payload,
        data.get("error"),
        data.get("payload_error"),
    )
