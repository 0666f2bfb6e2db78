"""The fal queue protocol, written once for both clients.

Each operation is a generator ("flow") that yields steps (an HTTP call, a sleep, a callback)
and receives their outcomes. `Client` runs the steps with blocking I/O and `AsyncClient` with
asyncio: only that driver differs, never the protocol.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, Union
from urllib.parse import quote

from .errors import (
    APIError,
    ConnectionFailedError,
    FieldProblem,
    InputValidationError,
    NotReadyError,
    RateLimitError,
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
    data: dict[str, Any] | None = (
        None  # form fields (urlencoded, or beside `files` as multipart)
    )
    files: dict[str, tuple[str, bytes, str]] | None = (
        None  # multipart uploads: name -> (file name, bytes, MIME)
    )
    content: bytes | None = None  # a raw body
    # A call that changes state on the server (submit) is only repeated when it surely never arrived.
    idempotent: bool = True


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


@dataclass(frozen=True)
class Parallel:
    """Run these flows at the same time (at most `limit` at once); the outcome is their results, in order."""

    flows: tuple[Generator[Any, Any, Any], ...]
    limit: int = 10


Step = Union[HttpCall, Sleep, Notify, Parallel]
Flow = Generator[Step, Any, T]


def gather(flows: list[Flow[T]], limit: int) -> Flow[list[T]]:
    """The results of `flows`, run in parallel when there is more than one."""
    if len(flows) == 1:
        return [(yield from flows[0])]
    if not flows:
        return []
    results: list[T] = yield Parallel(tuple(flows), max(1, limit))
    return results


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
class StoragePolicy:
    """Uploads to fal storage: files above `multipart_threshold` bytes go up in `chunk_size`
    parts, `parallel_parts` at once; `lifecycle` (e.g. {"expiration_duration_seconds": 3600})
    is sent as the object lifecycle preference."""

    multipart_threshold: int = 100 * 1024 * 1024
    chunk_size: int = 10 * 1024 * 1024
    parallel_parts: int = 10
    lifecycle: Mapping[str, Any] | None = None


@dataclass
class CdnToken:
    token: str = field(repr=False)
    token_type: str
    base_url: str
    expires_at: float  # epoch seconds


@dataclass
class TokenCache:
    """The storage token, shared by every call of one client until it expires."""

    current: CdnToken | None = None


DEFAULT_REST_URL = "https://rest.fal.ai"
REST_URL_ENV = "FAL_REST_URL"
DEFAULT_INLINE_FILES_UP_TO = 64 * 1024


@dataclass(frozen=True)
class Settings:
    base_url: str
    headers: dict[str, str] = field(repr=False)  # carries the key
    retry: RetryPolicy
    poll: PollPolicy
    rest_url: str = (
        DEFAULT_REST_URL  # storage tokens, fallback uploads, the webhook JWKS
    )
    inline_files_up_to: int | None = (
        DEFAULT_INLINE_FILES_UP_TO  # bigger Path/bytes inputs are uploaded
    )
    storage: StoragePolicy = StoragePolicy()
    tokens: TokenCache = field(default_factory=TokenCache, repr=False, compare=False)


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
    logs = tuple(
        _log(item) for item in data.get("logs") or [] if isinstance(item, dict)
    )
    if state == "IN_QUEUE":
        return Queued(request_id, int(data.get("queue_position") or 0))
    if state == "IN_PROGRESS":
        return InProgress(request_id, logs)
    if state == "COMPLETED":
        metrics = data.get("metrics")
        if not isinstance(metrics, dict):
            metrics = {}
        return Completed(
            request_id, logs, metrics, data.get("error"), data.get("error_type")
        )
    raise ValueError(f"unknown queue status {state!r}")


def _log(item: dict[str, Any]) -> LogLine:
    return LogLine(
        str(item.get("message", "")),
        str(item.get("level", "INFO")),
        str(item.get("source", "")),
        str(item.get("timestamp", "")),
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
                raise ConnectionFailedError(
                    f"{call.method} {call.url}: {failure}",
                    maybe_sent=failure.maybe_sent,
                ) from None
            yield Sleep(policy.delay(attempt, None))
            continue
        retry_after = _retry_after(reply)
        # A 429 is a refusal (the concurrency limit): the request was not taken, so even a submit may go again.
        repeatable = call.idempotent or reply.status_code == 429
        if (
            reply.status_code in policy.retry_statuses
            and repeatable
            and attempt < policy.max_attempts
        ):
            yield Sleep(policy.delay(attempt, retry_after))
            continue
        if reply.status_code >= 400:
            raise error_for(
                reply.status_code,
                reply.json(),
                reply.headers.get("x-fal-request-id"),
                retry_after,
                reply.headers,
            )
        return reply


def _retry_after(reply: Reply) -> float | None:
    value = reply.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


PRIORITIES = ("normal", "low")


def queue_headers(
    priority: str | None = None,
    hint: str | None = None,
    start_timeout: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The queue-control headers of a submit or run; InputValidationError for a bad value."""
    problems = []
    out = dict(headers or {})
    if priority is not None:
        if priority not in PRIORITIES:
            problems.append(
                FieldProblem(
                    "priority",
                    "enum",
                    f"must be one of {', '.join(PRIORITIES)} (got {priority!r})",
                )
            )
        out["X-Fal-Queue-Priority"] = str(priority)
    if hint is not None:
        out["X-Fal-Runner-Hint"] = hint
    if start_timeout is not None:
        if not isinstance(start_timeout, (int, float)) or start_timeout <= 0.1:
            problems.append(
                FieldProblem(
                    "start_timeout",
                    "exclusiveMinimum",
                    f"must be more than 0.1 seconds (got {start_timeout!r})",
                )
            )
        else:
            out["X-Fal-Request-Timeout"] = str(float(start_timeout))
    if problems:
        raise InputValidationError("queue controls", problems)
    return out


def submit(
    settings: Settings,
    path: str,
    body: Any,
    webhook_url: str | None,
    headers: Mapping[str, str] | None = None,
) -> Flow[RequestHandle]:
    params: dict[str, str | list[str]] = (
        {"fal_webhook": webhook_url} if webhook_url else {}
    )
    sent = {**settings.headers, **headers} if headers else settings.headers
    call = HttpCall(
        "POST",
        settings.base_url + path,
        json=body,
        params=params,
        headers=sent,
        idempotent=False,
    )
    reply = yield from send(call, settings.retry)
    data = reply.json()
    try:
        return RequestHandle(
            data["request_id"],
            data["status_url"],
            data["response_url"],
            data["cancel_url"],
        )
    except (KeyError, TypeError):
        raise ValueError(
            f"submit answered without a queue envelope: {str(data)[:200]}"
        ) from None


def handle_for(
    settings: Settings, app_id: str, request: RequestHandle | str
) -> RequestHandle:
    """A handle from a bare request id: the URLs the service uses (owner/alias, no subpath)."""
    if isinstance(request, RequestHandle):
        return request
    base = f"{settings.base_url}/{app_id}/requests/{quote(request, safe='')}"
    return RequestHandle(request, f"{base}/status", base, f"{base}/cancel")


def status(settings: Settings, handle: RequestHandle, logs: bool) -> Flow[Status]:
    call = HttpCall(
        "GET",
        handle.status_url,
        params={"logs": "1" if logs else "0"},
        headers=settings.headers,
    )
    reply = yield from send(call, settings.retry)
    return parse_status(reply.json(), handle.request_id)


@dataclass(frozen=True)
class Response(Generic[T]):
    """A result with what the service said about it: who ran it and what it cost."""

    output: T
    request_id: str
    billable_units: float | None = None  # x-fal-billable-units
    metrics: dict[str, Any] = field(
        default_factory=dict
    )  # e.g. inference_time, when known
    headers: dict[str, str] = field(default_factory=dict, repr=False)


# Answers a result URL may give while the request is still running (the service's is unverified).
_NOT_YET = (400, 409, 425)


def fetch(settings: Settings, handle: RequestHandle) -> Flow[Reply]:
    """The result reply; NotReadyError (never a bare APIError) while the request is not done."""
    try:
        reply = yield from send(
            HttpCall("GET", handle.response_url, headers=settings.headers),
            settings.retry,
        )
    except APIError as error:
        if error.status_code not in _NOT_YET or isinstance(error, RequestFailedError):
            raise
        current = yield from status(settings, handle, logs=False)
        if not isinstance(current, Completed):
            raise NotReadyError(handle.request_id, current) from None
        if current.error:
            raise _failed(error, current, handle) from None
        raise
    if reply.status_code == 202:
        raise NotReadyError(
            handle.request_id, _status_or_none(reply.json(), handle.request_id)
        )
    return reply


def _status_or_none(data: Any, request_id: str) -> Status | None:
    try:
        return parse_status(data, request_id)
    except ValueError:
        return None


def result(
    settings: Settings, handle: RequestHandle, parse: Callable[[Any], T]
) -> Flow[T]:
    reply = yield from fetch(settings, handle)
    return parse(reply.json())


def response(
    settings: Settings,
    handle: RequestHandle,
    parse: Callable[[Any], T],
    metrics: dict[str, Any] | None = None,
) -> Flow[Response[T]]:
    reply = yield from fetch(settings, handle)
    units = reply.headers.get("x-fal-billable-units")
    try:
        billable = float(units) if units is not None else None
    except ValueError:
        billable = None
    request_id = reply.headers.get("x-fal-request-id") or handle.request_id
    return Response(
        parse(reply.json()), request_id, billable, dict(metrics or {}), reply.headers
    )


def cancel(settings: Settings, handle: RequestHandle) -> Flow[str]:
    """CANCELLATION_REQUESTED, or ALREADY_COMPLETED when the request had finished."""
    call = HttpCall("PUT", handle.cancel_url, headers=settings.headers)
    try:
        reply = yield from send(call, settings.retry)
    except Exception as error:
        body = getattr(error, "body", None)
        if (
            getattr(error, "status_code", None) == 400
            and isinstance(body, dict)
            and body.get("status") == "ALREADY_COMPLETED"
        ):
            return "ALREADY_COMPLETED"
        raise
    data = reply.json()
    return (
        str(data.get("status", "CANCELLATION_REQUESTED"))
        if isinstance(data, dict)
        else "CANCELLATION_REQUESTED"
    )


class Poller:
    """Status polls of one request: new log lines once, growing pauses, and a 429 from the
    concurrency limit waited out (the request is kept) until the deadline, if any."""

    def __init__(
        self, settings: Settings, handle: RequestHandle, deadline: float | None = None
    ) -> None:
        self.settings = settings
        self.handle = handle
        self.deadline = deadline
        self.interval = settings.poll.initial
        self.logs_seen = 0

    def poll(self) -> Flow[tuple[Status, Status]]:
        """(the status, the same with only the log lines not seen before)."""
        while True:
            try:
                current = yield from status(self.settings, self.handle, logs=True)
                break
            except RateLimitError as error:
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    raise
                yield Sleep(
                    error.retry_after if error.retry_after is not None else self.pause()
                )
        fresh = current
        if isinstance(current, (InProgress, Completed)):
            fresh = _with_logs(current, current.logs[self.logs_seen :])
            self.logs_seen = max(self.logs_seen, len(current.logs))
        return current, fresh

    def pause(self) -> float:
        pause = self.interval
        self.interval = min(
            self.interval * self.settings.poll.factor, self.settings.poll.maximum
        )
        return pause


def wait(
    settings: Settings,
    handle: RequestHandle,
    timeout: float | None,
    on_update: Callable[[Status], Any] | None,
) -> Flow[Completed]:
    """Poll with growing intervals until COMPLETED; on timeout cancel (best effort) and raise."""
    deadline = None if timeout is None else time.monotonic() + timeout
    poller = Poller(settings, handle, deadline)
    while True:
        current, fresh = yield from poller.poll()
        if on_update is not None:
            yield Notify(on_update, fresh)
        if isinstance(current, Completed):
            if current.error:
                yield from _raise_failure(settings, handle, current)
            return current
        pause = poller.pause()
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                yield from _cancel_quietly(settings, handle)
                raise RequestTimeoutError(handle.request_id, timeout or 0.0)
            pause = min(pause, left)
        yield Sleep(pause)


def _raise_failure(
    settings: Settings, handle: RequestHandle, current: Completed
) -> Flow[None]:
    """A completed request that failed: its result answers the error (status, headers, body),
    raised typed, so a start timeout is StartTimeoutError and `runner_*` a RunnerError.
    """
    try:
        reply = yield from send(
            HttpCall("GET", handle.response_url, headers=settings.headers),
            settings.retry,
        )
    except RequestFailedError:
        raise
    except APIError as error:
        raise _failed(error, current, handle) from None
    error_type = current.error_type
    raise RequestFailedError(
        current.error or "failed",
        status_code=reply.status_code,
        request_id=handle.request_id,
        body=None,
        error_type=error_type,
    )


def _failed(
    error: APIError, current: Completed, handle: RequestHandle
) -> RequestFailedError:
    return RequestFailedError(
        current.error or error.detail,
        status_code=error.status_code,
        request_id=error.request_id or handle.request_id,
        body=error.body,
        error_type=current.error_type or error.error_type,
        retryable=error.retryable,
    )


def _with_logs(current: Status, logs: tuple[LogLine, ...]) -> Status:
    if isinstance(current, InProgress):
        return InProgress(current.request_id, logs)
    if isinstance(current, Completed):
        return Completed(
            current.request_id, logs, current.metrics, current.error, current.error_type
        )
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
    headers: Mapping[str, str] | None = None,
) -> Flow[T]:
    """submit, wait, result."""
    handle = yield from submit(settings, path, body, webhook_url, headers)
    yield from wait(settings, handle, timeout, on_update)
    return (yield from result(settings, handle, parse))


def wait_response(
    settings: Settings,
    handle: RequestHandle,
    parse: Callable[[Any], T],
    timeout: float | None,
    on_update: Callable[[Status], Any] | None,
) -> Flow[Response[T]]:
    """wait, then the result with its metadata (request id, billable units, metrics)."""
    done = yield from wait(settings, handle, timeout, on_update)
    return (yield from response(settings, handle, parse, done.metrics))


# --- push updates and webhooks --------------------------------------------------------------


def stream_call(settings: Settings, handle: RequestHandle, logs: bool) -> HttpCall:
    """The SSE request behind `status_stream()`: `.../status/stream`."""
    headers = {**settings.headers, "Accept": "text/event-stream"}
    return HttpCall(
        "GET",
        handle.status_url + "/stream",
        params={"logs": "1" if logs else "0"},
        headers=headers,
    )


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
        raise error_for(
            reply.status_code,
            reply.json(),
            reply.headers.get("x-fal-request-id"),
            _retry_after(reply),
        )


@dataclass(frozen=True)
class WebhookPayload:
    """What the service POSTs to a `webhook_url` when a request finishes."""

    request_id: str
    gateway_request_id: str | None
    status: str  # "OK" or "ERROR"
    payload: (
        Any  # the typed output on OK; the error body (e.g. {"detail": [...]}) on ERROR
    )
    error: str | None = None
    payload_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "OK" and self.payload_error is None


def parse_webhook(
    body: bytes | str | dict[str, Any], parse: Callable[[Any], Any]
) -> WebhookPayload:
    """Read a webhook delivery; `parse` types the payload of a successful one."""
    data = json.loads(body) if isinstance(body, (bytes, str)) else body
    if not isinstance(data, dict) or "request_id" not in data or "status" not in data:
        raise ValueError("not a webhook payload: expected request_id and status")
    payload = data.get("payload")
    if (
        data["status"] == "OK"
        and payload is not None
        and data.get("payload_error") is None
    ):
        payload = parse(payload)
    return WebhookPayload(
        str(data["request_id"]),
        data.get("gateway_request_id"),
        str(data["status"]),
        payload,
        data.get("error"),
        data.get("payload_error"),
    )
