"""The checks behind the generated contract tests, written once. Each generated test module
names its endpoint's data and calls these; you can call them from your own tests too.

Needs `jsonschema` for the schema checks (a test dependency, not one of the client's)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from . import AsyncClient, Client, Completed, InProgress, InputValidationError, Queued
from urllib.parse import unquote

from ._auth import SCHEMES, wire_value
from ._meta import AUTH_SCHEME
from ._spec import SCHEMAS
from .testing import FAST_POLL, TEST_API_KEY, MockServer, RecordedRequest

OutputType = type | tuple[type, ...]


def validate(schema: Any, value: Any) -> None:
    """`value` satisfies `schema` (its `#/$defs/<Model>` references resolved)."""
    import jsonschema  # type: ignore[import-untyped,unused-ignore]  # a test dependency

    root = {**schema, "$defs": SCHEMAS} if isinstance(schema, dict) else schema
    jsonschema.Draft202012Validator(root).validate(value)


def rejected_before_sending(call: Callable[[], Any], server: MockServer, field: str, constraint: str) -> None:
    """`call()` fails client-side naming `field` and `constraint`, and sends nothing."""
    try:
        call()
    except InputValidationError as error:
        found = [(p.field, p.constraint) for p in error.problems]
        assert (field, constraint) in found, f"expected {field} [{constraint}], got {found}"
    else:
        raise AssertionError(f"no InputValidationError for {field} [{constraint}]")
    assert server.requests == [], "an invalid request reached the server"


def authorized(sent: RecordedRequest) -> None:
    assert sent.headers["authorization"] == f"{AUTH_SCHEME} {TEST_API_KEY}"


def credentials_sent(sent: RecordedRequest, security: list[list[str]], own: list[list[str]]) -> dict[str, list[str]]:
    """The first alternative's credentials arrived exactly where their schemes say, and no
    other scheme's; `own` are the operation's (location, name) parameters, which win over a
    credential of the same name. Returns the query without the credentials."""
    wanted = security[0] if security else []
    taken = {(location, name.lower() if location == "header" else name) for location, name in own}
    query: dict[str, Any] = dict(sent.query)
    cookies: dict[str, Any] = dict(part.strip().split("=", 1) for part in sent.headers.get("cookie", "").split(";") if "=" in part)
    places = {ident: (scheme.location, scheme.name.lower() if scheme.location == "header" else scheme.name) for ident, scheme in SCHEMES.items()}
    needed = {places[ident] for ident in wanted}
    for ident, scheme in SCHEMES.items():
        location, key = places[ident]
        holder: dict[str, Any] = {"header": dict(sent.headers), "query": query, "cookie": cookies}[location]
        if (location, key) in taken:
            continue
        if ident in wanted:
            found = holder.get(key)
            found = found[-1] if isinstance(found, list) else found
            found = unquote(found) if location == "cookie" and found is not None else found
            assert found == wire_value(scheme, TEST_API_KEY), f"{ident}: expected the credential in {location} {scheme.name}"
        elif (location, key) not in needed:
            assert key not in holder, f"{ident}: a credential was sent in {location} {scheme.name}, where this operation needs none"
    for location, key in needed:
        if location == "query" and ("query", key) not in taken:
            query.pop(key, None)
    return query


# --- queue endpoints ----------------------------------------------------------------------------


def status_sequence(endpoint: Any, kwargs: dict[str, Any], server: MockServer) -> None:
    """IN_QUEUE, then IN_PROGRESS with logs, then COMPLETED (the mock polls 1 + 2)."""
    handle = endpoint.submit(**kwargs)
    assert handle.status_url.startswith(server.url)
    assert isinstance(endpoint.status(handle), Queued)
    running = endpoint.status(handle, logs=True)
    assert isinstance(running, InProgress) and running.logs
    assert isinstance(endpoint.status(handle), InProgress)
    done = endpoint.status(handle, logs=True)
    assert isinstance(done, Completed) and done.error is None and done.logs


def cancel_while_queued(endpoint: Any, kwargs: dict[str, Any]) -> None:
    handle = endpoint.submit(**kwargs)
    assert endpoint.cancel(handle.request_id) == "CANCELLATION_REQUESTED"
    after = endpoint.status(handle.request_id)
    assert isinstance(after, Completed) and after.error_type == "request_cancelled"


def lifecycle_sync(target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType) -> None:
    """submit -> status -> wait -> result -> cancel, on the mock or the live service."""
    with Client(key=target.key, base_url=target.base_url, poll=target.poll) as client:
        endpoint = getattr(client, attribute)
        handle = endpoint.submit(**kwargs)
        assert isinstance(endpoint.status(handle, logs=True), (Queued, InProgress, Completed))
        assert endpoint.wait(handle, timeout=600).error is None
        assert isinstance(endpoint.result(handle), output)
        assert endpoint.cancel(handle) == "ALREADY_COMPLETED"


def lifecycle_async(target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType) -> None:
    async def scenario() -> None:
        async with AsyncClient(key=target.key, base_url=target.base_url, poll=target.poll) as client:
            endpoint = getattr(client, attribute)
            handle = await endpoint.submit(**kwargs)
            assert isinstance(await endpoint.status(handle, logs=True), (Queued, InProgress, Completed))
            assert (await endpoint.wait(handle, timeout=600)).error is None
            assert isinstance(await endpoint.result(handle), output)
            assert await endpoint.cancel(handle) == "ALREADY_COMPLETED"

    asyncio.run(scenario())


def run_with_updates(target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType) -> None:
    """run() reports Queued ... Completed, each log line once, and submits once."""
    updates: list[object] = []
    with Client(key=target.key, base_url=target.base_url, poll=target.poll) as client:
        result = getattr(client, attribute).run(**kwargs, on_update=updates.append, timeout=600)
    assert isinstance(result, output)
    assert isinstance(updates[-1], Completed)
    logs = [line for update in updates if isinstance(update, (InProgress, Completed)) for line in update.logs]
    assert len(logs) == len(set(logs)), "a log line was reported twice"
    if target.server is not None:
        assert target.server.submits == 1


def run_async(target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType) -> None:
    async def scenario() -> object:
        async with AsyncClient(key=target.key, base_url=target.base_url, poll=target.poll) as client:
            return await getattr(client, attribute).run(**kwargs, timeout=600)

    assert isinstance(asyncio.run(scenario()), output)


def status_stream(endpoint: Any, kwargs: dict[str, Any], output: OutputType) -> None:
    handle = endpoint.submit(**kwargs)
    updates = list(endpoint.status_stream(handle))
    assert isinstance(updates[0], Queued) and isinstance(updates[-1], Completed)
    assert isinstance(endpoint.result(handle), output)


# --- plain endpoints ----------------------------------------------------------------------------


def answer_matches(answer: Any, model: Any, expected: Any) -> None:
    """The client parsed the mock's answer into the documented model (or kept it as data)."""
    if model is None:
        # a binary answer arrives as bytes: the mock sent the text of `expected`
        assert answer == (expected.encode() if isinstance(answer, bytes) and isinstance(expected, str) else expected)
    else:
        assert isinstance(answer, model)
        assert answer == model.model_validate(expected)


def same_answer_async(server: MockServer, attribute: str, kwargs: dict[str, Any], model: Any, expected: Any) -> None:
    async def scenario() -> Any:
        async with AsyncClient(key=TEST_API_KEY, base_url=server.url, poll=FAST_POLL) as client:
            return await getattr(client, attribute)(**kwargs)

    answer_matches(asyncio.run(scenario()), model, expected)
    assert len(server.requests) == 1
