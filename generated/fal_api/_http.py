"""The two drivers of the protocol flows: blocking (httpx.Client) and asyncio (httpx.AsyncClient)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from . import _protocol as protocol
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


class _Secret:
    """Holds the API key; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


def settings_for(
    key: str | None,
    base_url: str | None,
    retry: protocol.RetryPolicy | None,
    poll: protocol.PollPolicy | None,
) -> tuple[protocol.Settings, _Secret]:
    secret = key if key is not None else os.environ.get(AUTH_ENV, "")
    if not secret and KEY_REQUIRED:
        raise MissingCredentialsError(
            f"no API key: pass key=... or set the {AUTH_ENV} environment variable"
        )
    url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if secret:
        headers["Authorization"] = f"{AUTH_SCHEME} {secret}"
    settings = protocol.Settings(
        url, headers, retry or protocol.RetryPolicy(), poll or protocol.PollPolicy()
    )
    return settings, _Secret(secret)


def _request_kwargs(call: protocol.HttpCall) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": call.headers}
    if call.params:
        kwargs["params"] = call.params
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
    return protocol.Reply(
        response.status_code,
        {k.lower(): v for k, v in response.headers.items()},
        response.content,
    )


def _failure(error: httpx.TransportError) -> protocol.TransportFailure:
    # A connect error means no byte of the request left this machine.
    sent = not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    return protocol.TransportFailure(
        type(error).__name__ + (f": {error}" if str(error) else ""), maybe_sent=sent
    )


class SyncDriver:
    def __init__(
        self, http: httpx.Client, gate: threading.BoundedSemaphore | None = None
    ) -> None:
        self.http = http
        self.gate: Any = (
            gate or contextlib.nullcontext()
        )  # bounds the calls in flight (max_concurrency)

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
                        outcome = reply_of(
                            self.http.request(
                                step.method, step.url, **_request_kwargs(step)
                            )
                        )
                except httpx.TransportError as error:
                    failure = _failure(error)
            elif isinstance(step, protocol.Sleep):
                time.sleep(step.seconds)
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
                except (
                    Exception
                ) as error:  # a failed branch fails the step, inside the flow that asked
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
                        outcome = reply_of(
                            await self.http.request(
                                step.method, step.url, **_request_kwargs(step)
                            )
                        )
                except httpx.TransportError as error:
                    failure = _failure(error)
            elif isinstance(step, protocol.Sleep):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, protocol.Parallel):
                try:
                    outcome = await self._parallel(step)
                except (
                    Exception
                ) as error:  # a failed branch fails the step, inside the flow that asked
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
