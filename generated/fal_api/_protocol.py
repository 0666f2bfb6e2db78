"""The fal queue protocol, written once for both clients.

Each operation is a generator ("flow") that yields steps (an HTTP call, a sleep, a callback)
and receives their outcomes. `Client` runs the steps with blocking I/O and `AsyncClient` with
asyncio: only that driver differs, never the protocol.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

from . import _log as http_log
from .errors import (
    APIError,
    ClientError,
    ConnectionFailedError,
    FieldProblem,
    InputValidationError,
    MalformedResponseError,
    NotReadyError,
    RateLimitError,
    RequestFailedError,
    RequestTimeoutError,
    ResponseValidationError,
    UntrustedURLError,
    error_for,
    excerpt,
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
    query: tuple[
        tuple[str, str], ...
    ] = ()  # query pairs in order (plain endpoints), beside `params`
    timeout: float | None = None  # this call's own timeout (seconds), else the client's
    # The overall deadline (time.monotonic()) this call must finish by; the driver bounds it.
    deadline: float | None = None


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
        except (ValueError, RecursionError):
            return self.body.decode("utf-8", "replace")


class TransportFailure(Exception):
    """Raised into a flow by a driver when the call got no (complete) reply. `request_id` and
    `partial`: what the headers and the body said before the answer broke off."""

    def __init__(
        self,
        message: str,
        *,
        maybe_sent: bool,
        request_id: str | None = None,
        partial: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent
        self.request_id = request_id
        self.partial = partial


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


Step = HttpCall | Sleep | Notify | Parallel
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
        if retry_after is not None and math.isfinite(retry_after):
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
    # Plain endpoints: a credential per security scheme (secrets), and the base URL the caller
    # chose ("" = each endpoint's documented server).
    credentials: dict[str, Any] = field(default_factory=dict, repr=False)
    base_url_override: str = ""
    raw: bool = False  # plain endpoints answer a RawResponse (client.with_raw_response)
    # Hosts besides the base URL's origin whose envelope URLs may be followed (with the key).
    allowed_hosts: tuple[str, ...] = ()
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


Status = Queued | InProgress | Completed


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


class DeadlinePassed(RequestTimeoutError):
    """Raised inside a flow when its overall deadline passed; run() and wait() re-raise it as a
    RequestTimeoutError naming the request and the timeout."""

    def __init__(self, *, maybe_sent: bool, request_id: str | None = None) -> None:
        super().__init__(request_id, 0.0, cancelled=False, maybe_sent=maybe_sent)


def send(
    call: HttpCall, policy: RetryPolicy, deadline: float | None = None
) -> Flow[Reply]:
    """One call with retries; an error status becomes a typed error. With a `deadline`, no
    attempt or pause runs past it (DeadlinePassed)."""
    check_headers(call)
    if deadline is not None:
        call = replace(call, deadline=deadline)
    attempt = 0
    while True:
        attempt += 1
        if deadline is not None and time.monotonic() >= deadline:
            raise DeadlinePassed(
                maybe_sent=False
            )  # a resent call follows only one that never arrived
        started = time.monotonic()
        try:
            reply: Reply = yield call
        except TransportFailure as failure:
            http_log.exchange(
                call, attempt, time.monotonic() - started, None, str(failure)
            )
            request_id = failure.request_id or _id_in(failure.partial)
            if deadline is not None and time.monotonic() >= deadline:
                raise DeadlinePassed(
                    maybe_sent=failure.maybe_sent, request_id=request_id
                ) from None
            if failure.maybe_sent and not call.idempotent:
                raise ConnectionFailedError(
                    f"{call.method} {call.url}: {failure}; the request may have reached the server, so it was not sent again",
                    maybe_sent=True,
                    request_id=request_id,
                ) from None
            if attempt >= policy.max_attempts:
                raise ConnectionFailedError(
                    f"{call.method} {call.url}: {failure}",
                    maybe_sent=failure.maybe_sent,
                ) from None
            pause = _until(policy.delay(attempt, None), deadline)
            http_log.retry(call, attempt, policy.max_attempts, pause, str(failure))
            yield Sleep(pause)
            continue
        http_log.exchange(call, attempt, time.monotonic() - started, reply.status_code)
        retry_after = _retry_after(reply)
        # A 429 is a refusal (the concurrency limit): the request was not taken, so even a submit may go again.
        repeatable = call.idempotent or reply.status_code == 429
        if (
            reply.status_code in policy.retry_statuses
            and repeatable
            and attempt < policy.max_attempts
        ):
            pause = _until(policy.delay(attempt, retry_after), deadline)
            waited = "" if retry_after is None else f", Retry-After {retry_after:g}s"
            http_log.retry(
                call,
                attempt,
                policy.max_attempts,
                pause,
                f"HTTP {reply.status_code}{waited}",
            )
            yield Sleep(pause)
            continue
        if reply.status_code >= 400:
            raise error_for(
                reply.status_code,
                _error_body(reply),
                request_id_of(reply),
                retry_after,
                reply.headers,
            )
        return reply


def _until(pause: float, deadline: float | None) -> float:
    """A pause cut short at the deadline."""
    return (
        pause if deadline is None else max(0.0, min(pause, deadline - time.monotonic()))
    )


_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _retry_after(reply: Reply) -> float | None:
    """Retry-After in seconds: delay-seconds or an HTTP date (RFC 9110 10.2.3); anything else,
    including NaN and infinities, is ignored."""
    value = reply.headers.get("retry-after", "").strip()
    if _DELAY_SECONDS.fullmatch(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")
_ID_IN_BODY = re.compile(rb'"request_id"\s*:\s*"([A-Za-z0-9][A-Za-z0-9._:-]{0,199})"')


def request_id_of(reply: Reply) -> str | None:
    """The `x-fal-request-id` header, when it looks like an id (a hostile one is not shown)."""
    return clean_id(reply.headers.get("x-fal-request-id"))


def clean_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _id_in(partial: bytes) -> str | None:
    """The request id in an answer that broke off, when its envelope got that far."""
    found = _ID_IN_BODY.search(partial[:65536])
    return found.group(1).decode("ascii") if found else None


def _error_body(reply: Reply) -> Any:
    data = reply.json()
    return excerpt(data, 2000) if isinstance(data, str) else data


def decode_json(reply: Reply) -> Any:
    """A success answer's JSON; MalformedResponseError when it is not JSON (HTML, cut short)."""
    if not reply.body:
        return None
    try:
        return json.loads(reply.body)
    except (ValueError, RecursionError):
        raise malformed(reply, "the answer is not JSON") from None


def malformed(reply: Reply, what: str) -> MalformedResponseError:
    content_type = excerpt(reply.headers.get("content-type", ""), 100)
    shown = excerpt(reply.body, 300)
    return MalformedResponseError(
        f"{what} ({content_type or 'no content type'}: {shown[:120]!r})",
        status_code=reply.status_code,
        request_id=request_id_of(reply),
        body=shown,
        content_type=content_type,
    )


def unfit(reply: Reply, data: Any, error: Exception) -> ResponseValidationError:
    """The typed error for an answer that does not fit its model; it keeps the data."""
    errors = getattr(error, "errors", None)  # pydantic's ValidationError has them
    items: Any = (
        errors(include_url=False)
        if callable(errors)
        else [{"loc": (), "msg": str(error)}]
    )
    problems = [
        excerpt(
            ".".join(str(p) for p in item.get("loc", ()))
            + ": "
            + str(item.get("msg", "")),
            200,
        )
        for item in items[:20]
    ]
    return ResponseValidationError(
        "the answer does not fit the documented model: " + "; ".join(problems[:3]),
        status_code=reply.status_code,
        request_id=request_id_of(reply),
        body=excerpt(reply.body, 300),
        data=data,
        problems=problems,
        content_type=excerpt(reply.headers.get("content-type", ""), 100),
    )


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")


def check_headers(call: HttpCall) -> None:
    """Headers that HTTP cannot carry (RFC 9110 5.1, 5.5: a token name; a value of visible
    ASCII, spaces and tabs) are an input error before any byte is sent. Values are never shown.
    """
    problems = [
        (
            FieldProblem(excerpt(name, 60), "header", "not a valid header name")
            if not _TOKEN.fullmatch(name)
            else FieldProblem(
                name,
                "header",
                "the value holds a control or non-ASCII character, which HTTP cannot send",
            )
        )
        for name, value in call.headers.items()
        if not (_TOKEN.fullmatch(name) and _FIELD_VALUE.fullmatch(value))
    ]
    if problems:
        raise InputValidationError(f"{call.method} {urlsplit(call.url).path}", problems)


def check_url(settings: Settings, url: str, request_id: str | None) -> None:
    """Envelope URLs carry the key: follow them only on the base URL's origin or an allowed host."""
    try:
        target, base = urlsplit(url), urlsplit(settings.base_url)
        same = (target.scheme, target.hostname, _port(target)) == (
            base.scheme,
            base.hostname,
            _port(base),
        )
        allowed = (
            target.scheme in ("https", base.scheme)
            and (target.hostname or "") in settings.allowed_hosts
        )
    except ValueError:  # an unreadable port or host
        same = allowed = False
    if not (same or allowed):
        raise UntrustedURLError(str(url), request_id)


def _port(parts: Any) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


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
    deadline: float | None = None,
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
    reply = yield from send(call, settings.retry, deadline)
    try:
        data = decode_json(reply)
        found = (
            [data.get(name) for name in ("status_url", "response_url", "cancel_url")]
            if isinstance(data, dict)
            else []
        )
        request_id = (
            clean_id(data.get("request_id")) if isinstance(data, dict) else None
        )
    except MalformedResponseError:
        found, request_id = [], None
    urls = [url for url in found if isinstance(url, str)]
    if request_id is None or len(urls) != 3:
        # The server answered, so the job may well exist: say so, with any id the answer carried.
        raise ConnectionFailedError(
            f"submit answered HTTP {reply.status_code} without a readable queue envelope ({excerpt(reply.body, 120)!r});"
            " the request may have been queued, so it was not sent again",
            maybe_sent=True,
            request_id=request_id_of(reply) or _id_in(reply.body),
        )
    return RequestHandle(request_id, urls[0], urls[1], urls[2])


def handle_for(
    settings: Settings, app_id: str, request: RequestHandle | str
) -> RequestHandle:
    """A handle from a bare request id: the URLs the service uses (owner/alias, no subpath)."""
    if isinstance(request, RequestHandle):
        return request
    base = f"{settings.base_url}/{app_id}/requests/{quote(request, safe='')}"
    return RequestHandle(request, f"{base}/status", base, f"{base}/cancel")


def status(
    settings: Settings, handle: RequestHandle, logs: bool, deadline: float | None = None
) -> Flow[Status]:
    check_url(settings, handle.status_url, handle.request_id)
    call = HttpCall(
        "GET",
        handle.status_url,
        params={"logs": "1" if logs else "0"},
        headers=settings.headers,
    )
    reply = yield from send(call, settings.retry, deadline)
    try:
        return parse_status(decode_json(reply), handle.request_id)
    except (ValueError, TypeError, OverflowError) as error:
        raise malformed(
            reply, f"not a queue status: {excerpt(str(error), 120)}"
        ) from None


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


def fetch(
    settings: Settings, handle: RequestHandle, deadline: float | None = None
) -> Flow[Reply]:
    """The result reply; NotReadyError (never a bare APIError) while the request is not done."""
    check_url(settings, handle.response_url, handle.request_id)
    try:
        reply = yield from send(
            HttpCall("GET", handle.response_url, headers=settings.headers),
            settings.retry,
            deadline,
        )
    except APIError as error:
        if error.status_code not in _NOT_YET or isinstance(error, RequestFailedError):
            raise
        current = yield from status(settings, handle, logs=False, deadline=deadline)
        if not isinstance(current, Completed):
            raise NotReadyError(handle.request_id, current) from None
        if current.error:
            raise _failed(error, current, handle) from None
        raise
    if reply.status_code == 202:
        raise NotReadyError(
            handle.request_id, _status_or_none(decode_json(reply), handle.request_id)
        )
    return reply


def _status_or_none(data: Any, request_id: str) -> Status | None:
    try:
        return parse_status(data, request_id)
    except ValueError:
        return None


def result(
    settings: Settings,
    handle: RequestHandle,
    parse: Callable[[Any], T],
    deadline: float | None = None,
) -> Flow[T]:
    reply = yield from fetch(settings, handle, deadline)
    return _parsed(reply, parse)


def _parsed(reply: Reply, parse: Callable[[Any], T]) -> T:
    data = decode_json(reply)
    try:
        return parse(data)
    except (
        ValueError,
        TypeError,
    ) as error:  # pydantic's ValidationError is a ValueError
        raise unfit(reply, data, error) from None


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
    request_id = request_id_of(reply) or handle.request_id
    return Response(
        _parsed(reply, parse), request_id, billable, dict(metrics or {}), reply.headers
    )


def cancel(
    settings: Settings, handle: RequestHandle, deadline: float | None = None
) -> Flow[str]:
    """CANCELLATION_REQUESTED, or ALREADY_COMPLETED when the request had finished."""
    check_url(settings, handle.cancel_url, handle.request_id)
    call = HttpCall("PUT", handle.cancel_url, headers=settings.headers)
    try:
        reply = yield from send(call, settings.retry, deadline)
    except Exception as error:
        body = getattr(error, "body", None)
        if (
            getattr(error, "status_code", None) == 400
            and isinstance(body, dict)
            and body.get("status") == "ALREADY_COMPLETED"
        ):
            return "ALREADY_COMPLETED"
        raise
    data = decode_json(reply)
    return (
        excerpt(str(data.get("status", "CANCELLATION_REQUESTED")), 100)
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
                current = yield from status(
                    self.settings, self.handle, logs=True, deadline=self.deadline
                )
                break
            except RateLimitError as error:
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    raise
                yield Sleep(
                    _until(
                        (
                            error.retry_after
                            if error.retry_after is not None
                            else self.pause()
                        ),
                        self.deadline,
                    )
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
    deadline: float | None = None,
) -> Flow[Completed]:
    """Poll with growing intervals until COMPLETED; on timeout cancel (best effort) and raise.
    `deadline` (from run()) bounds every call; it defaults to `timeout` from now."""
    if deadline is None and timeout is not None:
        deadline = time.monotonic() + timeout
    poller = Poller(settings, handle, deadline)
    while True:
        try:
            current, fresh = yield from poller.poll()
        except DeadlinePassed:
            yield from _cancel_quietly(settings, handle, timeout)
            raise RequestTimeoutError(handle.request_id, timeout or 0.0) from None
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
                yield from _cancel_quietly(settings, handle, timeout)
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


def cancel_grace(timeout: float | None) -> float:
    """How long the cancel sent at a timeout may take past it: a tenth of the timeout, 0.1-1 s."""
    return min(1.0, max(0.1, (timeout or 0.0) * 0.1))


def _cancel_quietly(
    settings: Settings, handle: RequestHandle, timeout: float | None
) -> Flow[None]:
    grace = cancel_grace(timeout)
    try:
        yield from cancel(settings, handle, time.monotonic() + grace)
    except (
        ClientError
    ):  # the timeout is the error worth raising; a failed cancel is not
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
    """submit, wait, result: `timeout` bounds all three, every call and pause inside them."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        handle = yield from submit(settings, path, body, webhook_url, headers, deadline)
    except DeadlinePassed as passed:
        raise RequestTimeoutError(
            passed.request_id,
            timeout or 0.0,
            cancelled=False,
            maybe_sent=passed.maybe_sent,
        ) from None
    yield from wait(settings, handle, timeout, on_update, deadline)
    try:
        return (yield from result(settings, handle, parse, deadline))
    except DeadlinePassed:
        raise RequestTimeoutError(
            handle.request_id, timeout or 0.0, cancelled=False
        ) from None


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
    check_url(settings, handle.status_url, handle.request_id)
    headers = {**settings.headers, "Accept": "text/event-stream"}
    call = HttpCall(
        "GET",
        handle.status_url + "/stream",
        params={"logs": "1" if logs else "0"},
        headers=headers,
    )
    check_headers(call)
    return call


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
            self._data.append(value.removeprefix(" "))
        return None


class StatusStream:
    """Turns SSE lines into typed statuses, reporting each log line once."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.decoder = SseDecoder()
        self.logs_seen = 0
        self.done = False

    def feed(self, line: str) -> Status | None:
        try:
            data = self.decoder.feed(line)
            current = parse_status(data, self.request_id) if data is not None else None
        except (ValueError, TypeError, OverflowError, RecursionError) as error:
            shown = excerpt(line, 300)
            raise MalformedResponseError(
                f"not a queue status event: {excerpt(str(error), 120)}",
                status_code=200,
                request_id=self.request_id,
                body=shown,
            ) from None
        if current is None:
            return None
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
            _error_body(reply),
            request_id_of(reply),
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
