"""The two drivers of the protocol flows: blocking (httpx.Client) and asyncio (httpx.AsyncClient)."""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from . import _protocol as protocol
from ._auth import Credential, _Secret, credentials_for
from ._meta import AUTH_ENV, AUTH_SCHEME, BASE_URL_ENV, DEFAULT_BASE_URL, KEY_REQUIRED, USER_AGENT
from .errors import MissingCredentialsError

T = TypeVar("T")
DEFAULT_SCHEME = "default"  # the configured `Authorization: <auth_scheme> <key>` (queue endpoints)


def settings_for(
    key: str | None,
    base_url: str | None,
    retry: protocol.RetryPolicy | None,
    poll: protocol.PollPolicy | None,
    credentials: Mapping[str, Credential] | None = None,
) -> tuple[protocol.Settings, _Secret]:
    found = credentials_for(key, credentials)
    secret = found[DEFAULT_SCHEME].reveal() if DEFAULT_SCHEME in found else ""
    if not secret and KEY_REQUIRED:
        raise MissingCredentialsError(f"no API key: pass key=... or set the {AUTH_ENV} environment variable")
    url = (base_url or os.environ.get(BASE_URL_ENV) or "").rstrip("/")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if secret and AUTH_SCHEME:
        headers["Authorization"] = f"{AUTH_SCHEME} {secret}"
    settings = protocol.Settings(
        url or DEFAULT_BASE_URL.rstrip("/"),
        headers,
        retry or protocol.RetryPolicy(),
        poll or protocol.PollPolicy(),
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
    if call.timeout is not None:
        kwargs["timeout"] = call.timeout
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
    return protocol.Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)


def _failure(error: httpx.TransportError) -> protocol.TransportFailure:
    # A connect error means no byte of the request left this machine.
    sent = not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    return protocol.TransportFailure(type(error).__name__ + (f": {error}" if str(error) else ""), maybe_sent=sent)


class SyncDriver:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def drive(self, flow: protocol.Flow[T]) -> T:
        outcome: Any = None
        failure: BaseException | None = None
        while True:
            try:
                step = flow.throw(failure) if failure is not None else flow.send(outcome)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            outcome, failure = None, None
            if isinstance(step, protocol.HttpCall):
                try:
                    outcome = reply_of(self.http.request(step.method, step.url, **_request_kwargs(step)))
                except httpx.TransportError as error:
                    failure = _failure(error)
            elif isinstance(step, protocol.Sleep):
                time.sleep(step.seconds)
            else:
                step.callback(step.value)


class AsyncDriver:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def drive(self, flow: protocol.Flow[T]) -> T:
        outcome: Any = None
        failure: BaseException | None = None
        while True:
            try:
                step = flow.throw(failure) if failure is not None else flow.send(outcome)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            outcome, failure = None, None
            if isinstance(step, protocol.HttpCall):
                try:
                    outcome = reply_of(await self.http.request(step.method, step.url, **_request_kwargs(step)))
                except httpx.TransportError as error:
                    failure = _failure(error)
            elif isinstance(step, protocol.Sleep):
                await asyncio.sleep(step.seconds)
            else:
                returned = step.callback(step.value)
                if inspect.isawaitable(returned):
                    await returned
