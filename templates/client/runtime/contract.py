"""The checks behind the generated contract tests, written once. Each generated test module
names its endpoint's data and calls these; you can call them from your own tests too.

Needs `jsonschema` for the schema checks (a test dependency, not one of the client's).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx

from . import AsyncClient, Client, Completed, InProgress, InputValidationError, Queued
from ._auth import SCHEMES, wire_value
from ._meta import AUTH_SCHEME
from ._spec import SCHEMAS
from .errors import APIError
from .testing import (
    FAST_POLL,
    TEST_API_KEY,
    TEST_USERNAME,
    MockServer,
    RecordedRequest,
)

OutputType = type | tuple[type, ...]


def validate(schema: Any, value: Any) -> None:
    """`value` satisfies `schema` (its `#/$defs/<Model>` references resolved)."""
    _validator(json.dumps(schema, sort_keys=True)).validate(value)


@functools.cache
def _validator(schema_text: str) -> Any:
    """One compiled validator per schema for the whole test session, sharing one registry."""
    import jsonschema  # type: ignore[import-untyped,unused-ignore]  # a test dependency
    from referencing import Registry  # jsonschema's own dependency

    schema = json.loads(schema_text)
    root = {**schema, "$defs": SCHEMAS} if isinstance(schema, dict) else schema
    # an empty registry: only refs inside the schema resolve, nothing is ever fetched or opened
    return jsonschema.Draft202012Validator(
        root, format_checker=_format_checker(), registry=Registry()
    )


# `date-time` and `time` as RFC 3339 writes them (with the offset), as strict validators do.
RFC3339 = {
    "date-time": r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
    "time": r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
}


@functools.lru_cache(maxsize=1)
def _format_checker() -> Any:
    """Formats checked as the generator checked them when it chose examples and answers: the
    same fixed set on every machine (jsonschema's own checkers depend on which optional
    packages are installed)."""
    import jsonschema  # type: ignore[import-untyped,unused-ignore]  # a test dependency

    checker = jsonschema.FormatChecker(formats=())
    for name in ("date", "email", "idn-email", "ipv4", "ipv6", "regex", "uuid"):
        known = jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers.get(name)
        if known is not None:
            checker.checkers[name] = known
    for name, pattern in RFC3339.items():
        checker.checkers[name] = (_matcher(re.compile(pattern)), ())
    return checker


def _matcher(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    def matches(value: object) -> bool:
        return not isinstance(value, str) or bool(pattern.match(value))

    return matches


def rejected_before_sending(
    call: Callable[[], Any], server: MockServer, field: str, constraint: str
) -> None:
    """`call()` fails client-side naming `field` and `constraint`, and sends nothing."""
    try:
        call()
    except InputValidationError as error:
        found = [(p.field, p.constraint) for p in error.problems]
        assert (
            field,
            constraint,
        ) in found, f"expected {field} [{constraint}], got {found}"
    else:
        raise AssertionError(f"no InputValidationError for {field} [{constraint}]")
    assert server.requests == [], "an invalid request reached the server"


def authorized(sent: RecordedRequest) -> None:
    assert sent.headers["authorization"] == f"{AUTH_SCHEME} {TEST_API_KEY}"


def credentials_sent(
    sent: RecordedRequest, security: list[list[str]], own: list[list[str]]
) -> dict[str, list[str]]:
    """The first alternative's credentials arrived exactly where their schemes say, and no
    other scheme's; `own` are the operation's (location, name) parameters, which win over a
    credential of the same name. Returns the query without the credentials."""
    wanted = security[0] if security else []
    taken = {
        (location, name.lower() if location == "header" else name)
        for location, name in own
    }
    query: dict[str, Any] = dict(sent.query)
    cookies: dict[str, Any] = dict(
        part.strip().split("=", 1)
        for part in sent.headers.get("cookie", "").split(";")
        if "=" in part
    )
    places = {
        ident: (
            scheme.location,
            scheme.name.lower() if scheme.location == "header" else scheme.name,
        )
        for ident, scheme in SCHEMES.items()
    }
    needed = {places[ident] for ident in wanted}
    for ident, scheme in SCHEMES.items():
        location, key = places[ident]
        holder: dict[str, Any] = {
            "header": dict(sent.headers),
            "query": query,
            "cookie": cookies,
        }[location]
        if (location, key) in taken:
            continue
        if ident in wanted:
            found = holder.get(key)
            found = found[-1] if isinstance(found, list) else found
            found = (
                unquote(found) if location == "cookie" and found is not None else found
            )
            assert found == wire_value(
                scheme,
                f"{TEST_USERNAME}:{TEST_API_KEY}" if scheme.basic else TEST_API_KEY,
            ), f"{ident}: expected the credential in {location} {scheme.name}"
        elif (location, key) not in needed:
            assert (
                key not in holder
            ), f"{ident}: a credential was sent in {location} {scheme.name}, where this operation needs none"
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


def lifecycle_sync(
    target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType
) -> None:
    """submit -> status -> wait -> result -> cancel, on the mock or the live service."""
    with Client(key=target.key, base_url=target.base_url, poll=target.poll) as client:
        endpoint = getattr(client, attribute)
        handle = endpoint.submit(**kwargs)
        assert isinstance(
            endpoint.status(handle, logs=True), (Queued, InProgress, Completed)
        )
        assert endpoint.wait(handle, timeout=600).error is None
        assert isinstance(endpoint.result(handle), output)
        assert endpoint.cancel(handle) == "ALREADY_COMPLETED"


def lifecycle_async(
    target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType
) -> None:
    async def scenario() -> None:
        async with AsyncClient(
            key=target.key, base_url=target.base_url, poll=target.poll
        ) as client:
            endpoint = getattr(client, attribute)
            handle = await endpoint.submit(**kwargs)
            assert isinstance(
                await endpoint.status(handle, logs=True),
                (Queued, InProgress, Completed),
            )
            assert (await endpoint.wait(handle, timeout=600)).error is None
            assert isinstance(await endpoint.result(handle), output)
            assert await endpoint.cancel(handle) == "ALREADY_COMPLETED"

    asyncio.run(scenario())


def run_with_updates(
    target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType
) -> None:
    """run() reports Queued ... Completed, each log line once, and submits once."""
    updates: list[object] = []
    with Client(key=target.key, base_url=target.base_url, poll=target.poll) as client:
        result = getattr(client, attribute).run(
            **kwargs, on_update=updates.append, timeout=600
        )
    assert isinstance(result, output)
    assert isinstance(updates[-1], Completed)
    logs = [
        line
        for update in updates
        if isinstance(update, (InProgress, Completed))
        for line in update.logs
    ]
    assert len(logs) == len(set(logs)), "a log line was reported twice"
    if target.server is not None:
        assert target.server.submits == 1


def run_async(
    target: Any, attribute: str, kwargs: dict[str, Any], output: OutputType
) -> None:
    async def scenario() -> object:
        async with AsyncClient(
            key=target.key, base_url=target.base_url, poll=target.poll
        ) as client:
            return await getattr(client, attribute).run(**kwargs, timeout=600)

    assert isinstance(asyncio.run(scenario()), output)


def status_stream(endpoint: Any, kwargs: dict[str, Any], output: OutputType) -> None:
    handle = endpoint.submit(**kwargs)
    updates = list(endpoint.status_stream(handle))
    assert isinstance(updates[0], Queued) and isinstance(updates[-1], Completed)
    assert isinstance(endpoint.result(handle), output)


# --- plain endpoints ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every test client: building one per client costs more than a call."""
    return ssl.create_default_context()


def same_json(sent: Any, expected: Any, model: Any) -> None:
    """The body sent is the one expected: equal, or the same once read by the input model (a
    UUID or a date the client normalised)."""
    if sent == expected:
        return
    assert model is not None and model.model_validate(sent) == model.model_validate(
        expected
    ), f"sent {sent!r}, expected {expected!r}"


def answer_of(call: Callable[[], Any], code: int) -> Any:
    """What `call()` returns; when the docs give only an error status, the APIError it raises
    with that status (the mock answers as documented, never an invented 200)."""
    if code < 400:
        return call()
    try:
        call()
    except APIError as error:
        assert (
            error.status_code == code
        ), f"expected HTTP {code}, got {error.status_code}"
        return None
    raise AssertionError(
        f"HTTP {code} was documented and answered, but no APIError was raised"
    )


def answer_matches(
    answer: Any, model: Any, expected: Any, code: int = 200, unwrap: bool = False
) -> None:
    """The client parsed the mock's answer into the documented model (or kept it as data);
    `unwrap`: a list model, answered as the list itself."""
    if code >= 400:
        assert answer is None
    elif model is None:
        # a binary answer arrives as bytes: the mock sent the text of `expected`
        assert answer == (
            expected.encode()
            if isinstance(answer, bytes) and isinstance(expected, str)
            else expected
        )
    elif unwrap:
        assert isinstance(answer, list)
        assert answer == model.model_validate(expected).root
    else:
        assert isinstance(answer, model)
        assert answer == model.model_validate(expected)


def _member(client: Any, path: str) -> Any:
    """`client.user.login` by its dotted path below the client."""
    return functools.reduce(getattr, path.split("."), client)


# --- live mode (plain endpoints) -----------------------------------------------------------------

READ_ONLY = (
    "GET",
    "HEAD",
    "OPTIONS",
)  # safe methods (RFC 9110 9.2.1): nothing changes on the server


@dataclass(frozen=True)
class Live:
    """The real service: its base URL (None: the documented server), and whether calls that
    are not read-only may go out (`writes_env` names the variable that allows them)."""

    base_url: str | None
    writes: bool
    writes_env: str


def live_answer(
    live: Live,
    method: str,
    attribute: str,
    kwargs: dict[str, Any],
    model: Any,
    documented: list[str],
) -> None:
    """The live service answers the documented call with one of its documented statuses (a
    success parsed into its model); credentials come from each scheme's environment variable.
    """
    if method.upper() not in READ_ONLY and not live.writes:
        import pytest

        pytest.skip(
            f"{method} changes data on the live service: set {live.writes_env}=1 to send it"
        )
    with Client(base_url=live.base_url) as client:
        try:
            answer = _member(client.with_raw_response, attribute)(**kwargs)
        except APIError as error:
            assert is_documented(
                error.status_code, documented
            ), f"HTTP {error.status_code} is not a documented answer ({', '.join(documented)})"
            return
    assert is_documented(
        answer.status_code, documented
    ), f"HTTP {answer.status_code} is not a documented answer ({', '.join(documented)})"
    if model is not None and 200 <= answer.status_code < 300:
        assert isinstance(answer.parsed, model), f"the answer is not a {model.__name__}"


def is_documented(status: int, documented: list[str]) -> bool:
    return (
        str(status) in documented
        or f"{status // 100}XX" in documented
        or "default" in documented
    )


def same_answer_async(
    server: MockServer,
    attribute: str,
    kwargs: dict[str, Any],
    model: Any,
    expected: Any,
    code: int = 200,
    unwrap: bool = False,
) -> None:
    async def scenario() -> Any:
        async with (
            httpx.AsyncClient(verify=_tls()) as http,
            AsyncClient(
                key=TEST_API_KEY,
                base_url=server.url,
                poll=FAST_POLL,
                http_client=http,
                username=TEST_USERNAME,
                password=TEST_API_KEY,
            ) as client,
        ):
            return await _member(client, attribute)(**kwargs)

    answer_matches(
        answer_of(lambda: asyncio.run(scenario()), code), model, expected, code, unwrap
    )
    assert len(server.requests) == 1
