"""The two drivers of the protocol flows: blocking (httpx.Client) and asyncio (httpx.AsyncClient)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import os
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from . import _protocol as protocol
from ._auth import Credential, _Secret, credentials_for
from ._meta import (
    AUTH_ENV,
    AUTH_SCHEME,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    KEY_REQUIRED,
    USER_AGENT,
)
from .errors import MissingCredentialsError

T = TypeVar("T")
DEFAULT_SCHEME = (
    "default"  # the configured `Authorization: <auth_scheme> <key>` (queue endpoints)
)


def settings_for(
    key: str | None,
    base_url: str | None,
    retry: protocol.RetryPolicy | None,
    poll: protocol.PollPolicy | None,
    allowed_hosts: Iterable[str] = (),
    credentials: Mapping[str, Credential] | None = None,
    username: str | None = None,
    password: str | None = None,
) -> tuple[protocol.Settings, _Secret]:
    found = credentials_for(key, credentials, username, password)
    secret = found[DEFAULT_SCHEME].reveal() if DEFAULT_SCHEME in found else ""
    if not secret and KEY_REQUIRED:
        raise MissingCredentialsError(
            f"no API key: pass key=... or set the {AUTH_ENV} environment variable"
        )
    url = (base_url or os.environ.get(BASE_URL_ENV) or "").rstrip("/")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if secret and AUTH_SCHEME:
        headers["Authorization"] = f"{AUTH_SCHEME} {secret}"
    hosts = tuple(sorted({host.strip().lower() for host in allowed_hosts}))
    settings = protocol.Settings(
        url or DEFAULT_BASE_URL.rstrip("/"),
        headers,
        retry or protocol.RetryPolicy(),
        poll or protocol.PollPolicy(),
        allowed_hosts=hosts,
        credentials=dict(found),
        base_url_override=url,
    )
    return settings, _Secret(secret)


def _request_kwargs(call: protocol.HttpCall) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": call.headers}
    if call.params:
        kwargs["params"] = call.params
    elif call.query:
        kwargs["params"] = list(call.query)
    if call.json is not None:
        kwargs["json"] = call.json
    if call.data is not None:
        kwargs["data"] = call.data
    if call.files is not None:
        kwargs["files"] = call.files
    if call.content is not None:
        kwargs["content"] = call.content
    return kwargs


def reply_of(response: httpx.Response) -> protocol.Reply:
    return protocol.Reply(response.status_code, headers_of(response), response.content)


def headers_of(response: httpx.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items()}


# An answer larger than this is not read to the end (a hostile server could send forever).
MAX_ANSWER_BYTES = 256 * 1024 * 1024
# These mean no byte of the request left this machine.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


class _Progress:
    """What the transport told (httpcore's `trace` extension): did the request's bytes go out?"""

    def __init__(self) -> None:
        self.seen = False
        self.sent = False

    def note(self, event: str, info: Any) -> None:
        self.seen = True
        self.sent = self.sent or "send_request_headers" in event

    async def anote(self, event: str, info: Any) -> None:
        self.note(event, info)

    @property
    def maybe_sent(self) -> bool:
        return (
            self.sent or not self.seen
        )  # a transport that does not trace: assume it went


class _Broken(Exception):
    pass


def _failure(error: Exception, progress: _Progress) -> protocol.TransportFailure:
    sent = not isinstance(error, _NOT_SENT) and progress.maybe_sent
    return protocol.TransportFailure(
        type(error).__name__ + (f": {error}" if str(error) else ""), maybe_sent=sent
    )


def until_for(
    http: httpx.Client | httpx.AsyncClient, call: protocol.HttpCall
) -> float | None:
    """When this exchange must be over: the flow's deadline, and at most the client's longest
    timeout from now (httpx bounds each phase and each read, not a server that drips).
    """
    timeout = http.timeout if call.timeout is None else httpx.Timeout(call.timeout)
    phases = [
        v
        for v in (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if v is not None
    ]
    own = time.monotonic() + max(phases) if phases else None
    limits = [t for t in (call.deadline, own) if t is not None]
    return min(limits) if limits else None


def _build(
    http: httpx.Client | httpx.AsyncClient,
    call: protocol.HttpCall,
    until: float | None,
    trace: Any,
) -> httpx.Request:
    """The request, each phase's timeout cut to the time left (a call's own timeout first)."""
    timeout = http.timeout if call.timeout is None else httpx.Timeout(call.timeout)
    if until is not None:
        left = until - time.monotonic()
        cut = [
            max(0.001, left if v is None else min(v, left))
            for v in (timeout.connect, timeout.read, timeout.write, timeout.pool)
        ]
        timeout = httpx.Timeout(connect=cut[0], read=cut[1], write=cut[2], pool=cut[3])
    try:
        return http.build_request(
            call.method,
            call.url,
            timeout=timeout,
            extensions={"trace": trace},
            **_request_kwargs(call),
        )
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise protocol.TransportFailure(
            f"cannot build the request: {type(error).__name__}", maybe_sent=False
        ) from None


def _check(size: int, until: float | None) -> None:
    if size > MAX_ANSWER_BYTES:
        raise _Broken(f"the answer exceeds {MAX_ANSWER_BYTES} bytes")
    if until is not None and time.monotonic() > until:
        raise _Broken("the answer was still arriving at the deadline")


def _broken(
    response: httpx.Response, error: Exception, partial: bytes
) -> protocol.TransportFailure:
    """An answer that broke off after its headers: keep what it said."""
    return protocol.TransportFailure(
        f"HTTP {response.status_code} answer broke off: {type(error).__name__}"
        + (f": {error}" if str(error) else ""),
        maybe_sent=True,
        request_id=protocol.clean_id(response.headers.get("x-fal-request-id")),
        partial=partial,
    )


class SyncDriver:
    def __init__(
        self, http: httpx.Client, gate: threading.BoundedSemaphore | None = None
    ) -> None:
        self.http = http
        self.gate: Any = (
            gate or contextlib.nullcontext()
        )  # bounds the calls in flight (max_concurrency)

    def exchange(self, call: protocol.HttpCall) -> protocol.Reply:
        """One request and its whole answer, within its deadline. The exchange runs in a worker
        thread so that a server that drips bytes cannot hold the caller past it."""
        until = until_for(self.http, call)
        progress = _Progress()
        if until is None:
            return self._exchange(call, until, progress)
        outcome: list[Any] = []
        done = threading.Event()

        def work() -> None:
            try:
                outcome.append(self._exchange(call, until, progress))
            # handed to the caller's thread, whatever it is
            except BaseException as error:  # noqa: BLE001
                outcome.append(error)
            finally:
                done.set()

        # The caller's context variables go along (tracing, instrumentation of httpx).
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(work,),
            name="http-exchange",
            daemon=True,
        ).start()
        if not done.wait(max(0.0, until - time.monotonic())):
            raise protocol.TransportFailure(
                "no complete answer by the deadline", maybe_sent=progress.maybe_sent
            )
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]  # type: ignore[no-any-return]

    def _exchange(
        self, call: protocol.HttpCall, until: float | None, progress: _Progress
    ) -> protocol.Reply:
        request = _build(self.http, call, until, progress.note)
        try:
            response = self.http.send(request, stream=True)
        except httpx.HTTPError as error:
            raise _failure(error, progress) from None
        chunks: list[bytes] = []
        try:
            size = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                _check(size, until)
        except (httpx.HTTPError, _Broken) as error:
            raise _broken(response, error, b"".join(chunks)) from None
        finally:
            response.close()
        return protocol.Reply(
            response.status_code, headers_of(response), b"".join(chunks)
        )

    def drive(self, flow: protocol.Flow[T]) -> T:
        outcome: Any = None
        failure: BaseException | None = None
        while True:
            try:
                step = (
                    flow.throw(failure) if failure is not None else flow.send(outcome)
                )
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            outcome, failure = None, None
            if isinstance(step, protocol.HttpCall):
                try:
                    with self.gate:
                        outcome = self.exchange(step)
                except protocol.TransportFailure as error:
                    failure = error
            elif isinstance(step, protocol.Sleep):
                time.sleep(max(0.0, step.seconds))
            elif isinstance(step, protocol.Parallel):
                try:
                    with ThreadPoolExecutor(
                        max_workers=min(step.limit, len(step.flows))
                    ) as pool:
                        outcome = [
                            task.result()
                            for task in [
                                pool.submit(self.drive, flow) for flow in step.flows
                            ]
                        ]
                # a failed branch fails the step, inside the flow that asked
                except Exception as error:  # noqa: BLE001
                    failure = error
            else:
                step.callback(step.value)


class AsyncDriver:
    def __init__(
        self, http: httpx.AsyncClient, gate: asyncio.Semaphore | None = None
    ) -> None:
        self.http = http
        self.gate: Any = (
            gate or contextlib.nullcontext()
        )  # bounds the calls in flight (max_concurrency)

    async def exchange(self, call: protocol.HttpCall) -> protocol.Reply:
        """One request and its whole answer, cancelled at its deadline."""
        until = until_for(self.http, call)
        progress = _Progress()
        if until is None:
            return await self._exchange(call, until, progress)
        try:
            return await asyncio.wait_for(
                self._exchange(call, until, progress),
                max(0.0, until - time.monotonic()),
            )
        except asyncio.TimeoutError:
            raise protocol.TransportFailure(
                "no complete answer by the deadline", maybe_sent=progress.maybe_sent
            ) from None

    async def _exchange(
        self, call: protocol.HttpCall, until: float | None, progress: _Progress
    ) -> protocol.Reply:
        request = _build(self.http, call, until, progress.anote)
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError as error:
            raise _failure(error, progress) from None
        chunks: list[bytes] = []
        try:
            size = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                _check(size, until)
        except (httpx.HTTPError, _Broken) as error:
            raise _broken(response, error, b"".join(chunks)) from None
        finally:
            await response.aclose()
        return protocol.Reply(
            response.status_code, headers_of(response), b"".join(chunks)
        )

    async def drive(self, flow: protocol.Flow[T]) -> T:
        outcome: Any = None
        failure: BaseException | None = None
        while True:
            try:
                step = (
                    flow.throw(failure) if failure is not None else flow.send(outcome)
                )
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            outcome, failure = None, None
            if isinstance(step, protocol.HttpCall):
                try:
                    async with self.gate:
                        outcome = await self.exchange(step)
                except protocol.TransportFailure as error:
                    failure = error
            elif isinstance(step, protocol.Sleep):
                await asyncio.sleep(max(0.0, step.seconds))
            elif isinstance(step, protocol.Parallel):
                try:
                    outcome = await self._parallel(step)
                # a failed branch fails the step, inside the flow that asked
                except Exception as error:  # noqa: BLE001
                    failure = error
            else:
                returned = step.callback(step.value)
                if inspect.isawaitable(returned):
                    await returned

    async def _parallel(self, step: protocol.Parallel) -> list[Any]:
        limit = asyncio.Semaphore(step.limit)

        async def one(flow: protocol.Flow[Any]) -> Any:
            async with limit:
                return await self.drive(flow)

        return list(await asyncio.gather(*(one(flow) for flow in step.flows)))
