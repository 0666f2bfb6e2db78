"""Construction, configuration and closing, shared by the generated Client and AsyncClient."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import TypeVar

import httpx

from . import _protocol as protocol
from ._http import AsyncDriver, SyncDriver, settings_for

T = TypeVar("T")
# `with Client() as client:` keeps the client's own type (and so every method's signature).
SyncSelf = TypeVar("SyncSelf", bound="SyncClientBase")
AsyncSelf = TypeVar("AsyncSelf", bound="AsyncClientBase")


class _ClientBase:
    """What both clients hold: settings (the key inside, never shown) and their endpoints."""

    def _configure(
        self,
        key: str | None,
        base_url: str | None,
        retry: protocol.RetryPolicy | None,
        poll: protocol.PollPolicy | None,
        owns_http: bool,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self._settings, self._key = settings_for(
            key, base_url, retry, poll, allowed_hosts
        )
        self._owns_http = owns_http

    def _bind_endpoints(self) -> None:
        pass

    @property
    def base_url(self) -> str:
        return self._settings.base_url

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
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        """`key` defaults to the auth environment variable, `base_url` to the base-URL variable,
        then to the documented service. Pass `http_client` to control proxies, TLS or transport.
        `timeout` also bounds each call's whole exchange. The key goes only to the base URL's
        origin and to `allowed_hosts` (host names the server's request URLs may point at).
        """
        self._configure(
            key,
            base_url,
            retry,
            poll,
            owns_http=http_client is None,
            allowed_hosts=allowed_hosts,
        )
        self._http = http_client or httpx.Client(timeout=timeout)
        self._driver = SyncDriver(self._http)
        self._bind_endpoints()

    def _drive(self, flow: protocol.Flow[T]) -> T:
        return self._driver.drive(flow)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self: SyncSelf) -> SyncSelf:
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
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        """Same arguments as the blocking client; `http_client` is an httpx.AsyncClient."""
        self._configure(
            key,
            base_url,
            retry,
            poll,
            owns_http=http_client is None,
            allowed_hosts=allowed_hosts,
        )
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._driver = AsyncDriver(self._http)
        self._bind_endpoints()

    async def _drive(self, flow: protocol.Flow[T]) -> T:
        return await self._driver.drive(flow)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: AsyncSelf) -> AsyncSelf:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()
