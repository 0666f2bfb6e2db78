"""Construction, configuration and closing, shared by the generated Client and AsyncClient."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _protocol as protocol
from ._auth import Credential
from ._http import AsyncDriver, SyncDriver, settings_for

T = TypeVar("T")


class _ClientBase:
    """What both clients hold: settings (the key inside, never shown) and their endpoints."""

    def _configure(
        self,
        key: str | None,
        base_url: str | None,
        retry: protocol.RetryPolicy | None,
        poll: protocol.PollPolicy | None,
        owns_http: bool,
        credentials: Mapping[str, Credential] | None = None,
    ) -> None:
        self._settings, self._key = settings_for(
            key, base_url, retry, poll, credentials
        )
        self._owns_http = owns_http

    def _bind_endpoints(self) -> None:
        pass

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def with_raw_response(self) -> Any:
        """The same client whose plain endpoint methods return a `RawResponse` (status code,
        headers, content, and the parsed value) instead of the parsed value alone."""
        clone = copy.copy(self)
        clone._settings = dataclasses.replace(self._settings, raw=True)
        clone._owns_http = False
        clone._bind_endpoints()
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class SyncClientBase(_ClientBase):
    def __init__(
        self,
        key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 120.0,
        retry: protocol.RetryPolicy | None = None,
        poll: protocol.PollPolicy | None = None,
        http_client: httpx.Client | None = None,
        credentials: Mapping[str, Credential] | None = None,
    ) -> None:
        """`key` is the credential for every security scheme (`credentials={"<scheme>": ...}`
        sets one scheme's; a basic-auth credential is `(username, password)`); each defaults to
        its scheme's environment variable. `base_url` defaults to the base-URL variable, then
        to each endpoint's documented server. Pass `http_client` to control proxies, TLS or
        transport."""
        self._configure(
            key,
            base_url,
            retry,
            poll,
            owns_http=http_client is None,
            credentials=credentials,
        )
        self._http = http_client or httpx.Client(timeout=timeout)
        self._driver = SyncDriver(self._http)
        self._bind_endpoints()

    def _drive(self, flow: protocol.Flow[T]) -> T:
        return self._driver.drive(flow)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self: Any) -> Any:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClientBase(_ClientBase):
    def __init__(
        self,
        key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 120.0,
        retry: protocol.RetryPolicy | None = None,
        poll: protocol.PollPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        credentials: Mapping[str, Credential] | None = None,
    ) -> None:
        """Same arguments as the blocking client; `http_client` is an httpx.AsyncClient."""
        self._configure(
            key,
            base_url,
            retry,
            poll,
            owns_http=http_client is None,
            credentials=credentials,
        )
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._driver = AsyncDriver(self._http)
        self._bind_endpoints()

    async def _drive(self, flow: protocol.Flow[T]) -> T:
        return await self._driver.drive(flow)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: Any) -> Any:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()
