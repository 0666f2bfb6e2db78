"""What `submit()` returns: the request's handle, bound to its endpoint, with the calls a user
makes on one request. It is still a RequestHandle, so `endpoint.status(handle)` keeps working.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import _protocol as protocol

if TYPE_CHECKING:
    from ._endpoint import AsyncEndpoint, Endpoint

OutputT = TypeVar("OutputT")


@dataclass(frozen=True)
class Handle(protocol.RequestHandle, Generic[OutputT]):
    """A queued request: `.status()`, `.wait()`, `.result()`, `.response()`, `.cancel()`, `.iter_events()`."""

    endpoint: Endpoint[OutputT] | None = field(default=None, repr=False, compare=False)

    @property
    def _ep(self) -> Endpoint[OutputT]:
        if self.endpoint is None:
            raise RuntimeError(
                "this handle is not bound to an endpoint; pass it to endpoint.status()/result()"
            )
        return self.endpoint

    def status(self, *, logs: bool = False) -> protocol.Status:
        return self._ep.status(self, logs=logs)

    def wait(
        self,
        *,
        timeout: float | None = None,
        on_update: Callable[[protocol.Status], Any] | None = None,
    ) -> protocol.Completed:
        """Poll until COMPLETED; a failed request raises its typed error (RequestFailedError and subclasses)."""
        return self._ep.wait(self, timeout=timeout, on_update=on_update)

    def result(self, *, wait: bool = True, timeout: float | None = None) -> OutputT:
        """The output, waiting for it first unless `wait=False` (then NotReadyError if it is not done)."""
        return self._ep.result(self, wait=wait, timeout=timeout)

    def response(
        self, *, wait: bool = True, timeout: float | None = None
    ) -> protocol.Response[OutputT]:
        """The output with its request id, billable units and metrics."""
        return self._ep.response(self, wait=wait, timeout=timeout)

    def cancel(self) -> str:
        return self._ep.cancel(self)

    def iter_events(self, *, logs: bool = True) -> Iterator[protocol.Status]:
        """Each polled status (new log lines only) until COMPLETED, polling with backoff."""
        client = self._ep._client
        poller = protocol.Poller(client._settings, self)
        while True:
            _, fresh = client._drive(poller.poll())
            if not logs and isinstance(
                fresh, (protocol.InProgress, protocol.Completed)
            ):
                fresh = protocol._with_logs(fresh, ())
            yield fresh
            if isinstance(fresh, protocol.Completed):
                return
            time.sleep(poller.pause())


@dataclass(frozen=True)
class AsyncHandle(protocol.RequestHandle, Generic[OutputT]):
    """The async twin of Handle: the same calls, as coroutines; `iter_events()` is an async iterator."""

    endpoint: AsyncEndpoint[OutputT] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def _ep(self) -> AsyncEndpoint[OutputT]:
        if self.endpoint is None:
            raise RuntimeError(
                "this handle is not bound to an endpoint; pass it to endpoint.status()/result()"
            )
        return self.endpoint

    async def status(self, *, logs: bool = False) -> protocol.Status:
        return await self._ep.status(self, logs=logs)

    async def wait(
        self,
        *,
        timeout: float | None = None,
        on_update: Callable[[protocol.Status], Any] | None = None,
    ) -> protocol.Completed:
        """Poll until COMPLETED; a failed request raises its typed error (RequestFailedError and subclasses)."""
        return await self._ep.wait(self, timeout=timeout, on_update=on_update)

    async def result(
        self, *, wait: bool = True, timeout: float | None = None
    ) -> OutputT:
        """The output, waiting for it first unless `wait=False` (then NotReadyError if it is not done)."""
        return await self._ep.result(self, wait=wait, timeout=timeout)

    async def response(
        self, *, wait: bool = True, timeout: float | None = None
    ) -> protocol.Response[OutputT]:
        """The output with its request id, billable units and metrics."""
        return await self._ep.response(self, wait=wait, timeout=timeout)

    async def cancel(self) -> str:
        return await self._ep.cancel(self)

    async def iter_events(self, *, logs: bool = True) -> AsyncIterator[protocol.Status]:
        """Each polled status (new log lines only) until COMPLETED, polling with backoff."""
        client = self._ep._client
        poller = protocol.Poller(client._settings, self)
        while True:
            _, fresh = await client._drive(poller.poll())
            if not logs and isinstance(
                fresh, (protocol.InProgress, protocol.Completed)
            ):
                fresh = protocol._with_logs(fresh, ())
            yield fresh
            if isinstance(fresh, protocol.Completed):
                return
            await asyncio.sleep(poller.pause())
