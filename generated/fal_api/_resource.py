"""Resource namespaces: the plain endpoints grouped as the API groups them (`client.user.login(...)`).

A namespace holds no state of its own: it reaches the client's settings and transport through
the object that made it (the client, or its parent namespace).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Protocol, TypeVar

from . import _protocol as protocol

if TYPE_CHECKING:
    from typing_extensions import Self

T = TypeVar("T")


class SyncAPI:
    """What a plain endpoint's method reaches through `self`: the settings and the driver."""

    _settings: protocol.Settings

    def _drive(self, flow: protocol.Flow[T]) -> T:
        raise NotImplementedError


class AsyncAPI:
    """What a plain endpoint's coroutine reaches through `self`: the settings and the driver."""

    _settings: protocol.Settings

    async def _drive(self, flow: protocol.Flow[T]) -> T:
        raise NotImplementedError


class _SyncParent(Protocol):
    """The client or a namespace: what a namespace reaches through its parent."""

    _settings: protocol.Settings

    def _drive(self, flow: protocol.Flow[T]) -> T: ...


class _AsyncParent(Protocol):
    _settings: protocol.Settings

    async def _drive(self, flow: protocol.Flow[T]) -> T: ...


class SyncResource(SyncAPI):
    """Base of the generated namespaces of `Client`."""

    def __init__(self, parent: _SyncParent) -> None:
        self._parent = parent
        self._settings = parent._settings
        self._bind()

    def _bind(self) -> None:
        """Make the nested namespaces (generated classes override it)."""

    def _drive(self, flow: protocol.Flow[T]) -> T:
        return self._parent._drive(flow)

    @property
    def with_raw_response(self) -> Self:
        """This namespace with methods that return a `RawResponse` instead of the parsed value."""
        clone = copy.copy(self)
        clone._settings = dataclasses.replace(self._settings, raw=True)
        clone._bind()
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AsyncResource(AsyncAPI):
    """Base of the generated namespaces of `AsyncClient`."""

    def __init__(self, parent: _AsyncParent) -> None:
        self._parent = parent
        self._settings = parent._settings
        self._bind()

    def _bind(self) -> None:
        """Make the nested namespaces (generated classes override it)."""

    async def _drive(self, flow: protocol.Flow[T]) -> T:
        return await self._parent._drive(flow)

    @property
    def with_raw_response(self) -> Self:
        """This namespace with coroutines that return a `RawResponse` instead of the parsed value."""
        clone = copy.copy(self)
        clone._settings = dataclasses.replace(self._settings, raw=True)
        clone._bind()
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
