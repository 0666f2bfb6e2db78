"""Construction, configuration and closing, shared by the generated Client and AsyncClient."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import _files, _storage
from . import _protocol as protocol
from ._auth import Credential
from ._endpoint import AsyncRaw, Raw
from ._http import AsyncDriver, SyncDriver, settings_for

if TYPE_CHECKING:
    from typing_extensions import Self

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
        rest_url: str | None = None,
        inline_files_up_to: int | None = protocol.DEFAULT_INLINE_FILES_UP_TO,
        storage: protocol.StoragePolicy | None = None,
        max_concurrency: int | None = None,
        allowed_hosts: Iterable[str] = (),
        credentials: Mapping[str, Credential] | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        settings, self._key = settings_for(
            key, base_url, retry, poll, allowed_hosts, credentials, username, password
        )
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._settings = dataclasses.replace(
            settings,
            rest_url=(
                rest_url
                or os.environ.get(protocol.REST_URL_ENV)
                or protocol.DEFAULT_REST_URL
            ).rstrip("/"),
            inline_files_up_to=inline_files_up_to,
            storage=storage or protocol.StoragePolicy(),
        )
        self._owns_http = owns_http
        self.max_concurrency = max_concurrency

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
        rest_url: str | None = None,
        inline_files_up_to: int | None = protocol.DEFAULT_INLINE_FILES_UP_TO,
        storage: protocol.StoragePolicy | None = None,
        max_concurrency: int | None = None,
        allowed_hosts: Iterable[str] = (),
        credentials: Mapping[str, Credential] | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        """`key` is the credential for every security scheme (`credentials={"<scheme>": ...}`
        sets one scheme's; a basic-auth credential is `(username, password)`, or `username` and
        `password` for every basic scheme); each defaults to its scheme's environment variable
        (basic: `<VARIABLE>_USERNAME` and `<VARIABLE>_PASSWORD`). `base_url` defaults to the
        base-URL variable, then to each endpoint's documented server. Pass `http_client` to control proxies, TLS or
        transport.

        `rest_url` (default $FAL_REST_URL, then https://rest.fal.ai) serves storage tokens and
        the webhook keys; Path/bytes inputs up to `inline_files_up_to` bytes go inline as data
        URIs, bigger ones are uploaded (None: always inline); `storage` tunes uploads;
        `max_concurrency` bounds the HTTP calls in flight (submits and polls together).
        `timeout` also bounds each call's whole exchange. The key goes only to the base URL's
        origin and to `allowed_hosts` (host names the server's request URLs may point at).
        """
        self._configure(
            key,
            base_url,
            retry,
            poll,
            http_client is None,
            rest_url,
            inline_files_up_to,
            storage,
            max_concurrency,
            allowed_hosts,
            credentials,
            username,
            password,
        )
        self._http = http_client or httpx.Client(timeout=timeout)
        self._driver = SyncDriver(
            self._http,
            threading.BoundedSemaphore(max_concurrency) if max_concurrency else None,
        )
        self._bind_endpoints()

    @property
    def raw(self) -> Raw:
        """Any queue app by its id, untyped, with the same retries and errors: `client.raw.run("owner/app", {...})`."""
        return Raw(self)

    def _drive(self, flow: protocol.Flow[T]) -> T:
        return self._driver.drive(flow)

    def upload(
        self,
        data: bytes | Path,
        content_type: str | None = None,
        file_name: str | None = None,
    ) -> str:
        """Store `data` (bytes, or a file's) on fal storage and return its URL (multipart above the threshold)."""
        if isinstance(data, Path):
            return self.upload_file(data, content_type, file_name)
        name = file_name or "upload.bin"
        return self._drive(
            _storage.upload(
                self._settings,
                bytes(data),
                content_type or _files.content_type_of(data, file_name),
                name,
            )
        )

    def upload_file(
        self,
        path: str | os.PathLike[str],
        content_type: str | None = None,
        file_name: str | None = None,
    ) -> str:
        """Store a local file on fal storage and return its URL."""
        file = Path(path)
        return self.upload(file.read_bytes(), content_type, file_name or file.name)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:  # `with Client() as c:` keeps the type of c
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
        rest_url: str | None = None,
        inline_files_up_to: int | None = protocol.DEFAULT_INLINE_FILES_UP_TO,
        storage: protocol.StoragePolicy | None = None,
        max_concurrency: int | None = None,
        allowed_hosts: Iterable[str] = (),
        credentials: Mapping[str, Credential] | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        """Same arguments as the blocking client; `http_client` is an httpx.AsyncClient."""
        self._configure(
            key,
            base_url,
            retry,
            poll,
            http_client is None,
            rest_url,
            inline_files_up_to,
            storage,
            max_concurrency,
            allowed_hosts,
            credentials,
            username,
            password,
        )
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._driver = AsyncDriver(
            self._http, asyncio.Semaphore(max_concurrency) if max_concurrency else None
        )
        self._bind_endpoints()

    @property
    def raw(self) -> AsyncRaw:
        """Any queue app by its id, untyped, with the same retries and errors: `await client.raw.run("owner/app", {...})`."""
        return AsyncRaw(self)

    async def _drive(self, flow: protocol.Flow[T]) -> T:
        return await self._driver.drive(flow)

    async def upload(
        self,
        data: bytes | Path,
        content_type: str | None = None,
        file_name: str | None = None,
    ) -> str:
        """Store `data` (bytes, or a file's) on fal storage and return its URL (multipart above the threshold)."""
        if isinstance(data, Path):
            return await self.upload_file(data, content_type, file_name)
        name = file_name or "upload.bin"
        return await self._drive(
            _storage.upload(
                self._settings,
                bytes(data),
                content_type or _files.content_type_of(data, file_name),
                name,
            )
        )

    async def upload_file(
        self,
        path: str | os.PathLike[str],
        content_type: str | None = None,
        file_name: str | None = None,
    ) -> str:
        """Store a local file on fal storage and return its URL (read in a thread, off the loop)."""
        file = Path(path)
        return await self.upload(
            await asyncio.to_thread(file.read_bytes),
            content_type,
            file_name or file.name,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()
