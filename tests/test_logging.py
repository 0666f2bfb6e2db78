"""The generated runtime logs through `logging` under the package's name: one DEBUG line per
exchange, one INFO line per retry, and at no level a record that carries a credential (API key
in a header, in the query, in a cookie, as a bearer token, as basic auth). Real packages talk to
their own MockServer on the loopback interface; faults are scripted on the server."""

from __future__ import annotations

import asyncio
import base64
import importlib
import logging
import os
import sys
from collections.abc import Iterator
from types import ModuleType
from urllib.parse import quote

import pytest

from tests.helpers import ROOT, run_cli

SECRET = "sk-live-Q7x9+very/secret=key"  # characters that URL-encoding changes
SCHEMES = ("bearerAuth", "queryKey", "cookieKey", "headerKey")
USER = "ann"  # basic auth: this user, SECRET as the password
FAST = {"max_attempts": 3, "initial_delay": 0.001, "max_delay": 0.01}


def _forms(secret: str) -> list[str]:
    """Every way the secret travels: as it is, URL-encoded, in basic auth's base64."""
    return [
        secret,
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"{USER}:{secret}".encode()).decode(),
    ]


def _leaks(records: list[logging.LogRecord], secret: str) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage() + repr(record.args) + repr(vars(record))
        found += [f"{record.levelname}: {text}" for f in _forms(secret) if f in text]
    return found


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """tests/fixtures/rest/wire.openapi.yaml: bearer, basic, apiKey in query, cookie, header."""
    out = tmp_path_factory.mktemp("logging") / "generated"
    done = run_cli(
        "generate",
        "--input",
        str(ROOT / "tests" / "fixtures" / "rest" / "wire.openapi.yaml"),
        "--out",
        str(out),
        "--package",
        "log_api",
        "--no-cache",
        cwd=out.parent,
    )
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("log_api")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "log_api"]:
            del sys.modules[name]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOG_API_"):
            monkeypatch.delenv(name)


def _rest_scenario(wire: ModuleType) -> None:
    """Calls that carry the secret everywhere a scheme can put it, with retries in between."""
    testing = importlib.import_module("log_api.testing")
    with testing.MockServer(api_key=SECRET) as server:
        credentials = {ident: SECRET for ident in SCHEMES}
        with wire.Client(
            base_url=server.url,
            credentials=credentials,
            retry=wire.RetryPolicy(**FAST),
        ) as client:
            server.inject("rest", testing.Fault(status=503, retry_after=0), times=1)
            server.inject("rest", testing.Fault(drop=True), times=1)
            client.get_item(id=7)  # bearer; one 503 and one dropped connection first
            client.get_either()  # apiKey in the query and in a cookie
            client.post_both()  # apiKey in the query and in a header
        with wire.Client(base_url=server.url, username=USER, password=SECRET) as client:
            client.get_either()  # basic auth

        async def in_async() -> None:
            async with wire.AsyncClient(
                base_url=server.url,
                credentials=credentials,
                retry=wire.RetryPolicy(**FAST),
            ) as client:
                server.inject("rest", testing.Fault(status=429), times=1)
                await client.get_either()

        asyncio.run(in_async())
        assert sum(1 for r in server.requests if r.path == "/either") == 4


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
def test_no_record_carries_a_credential_at_any_level(
    wire: ModuleType, clean_env: None, caplog: pytest.LogCaptureFixture, level: str
) -> None:
    caplog.set_level(getattr(logging, level), logger="log_api")
    _rest_scenario(wire)
    records = [r for r in caplog.records if r.name.startswith("log_api")]
    assert not _leaks(records, SECRET)
    exchanges = [r for r in records if r.levelno == logging.DEBUG]
    retries = [r for r in records if r.levelno == logging.INFO]
    if level == "DEBUG":
        # get_item 3 attempts, get_either 4 (one retried), post_both 1
        assert len(exchanges) == 8, [r.getMessage() for r in exchanges]
        assert {r.name for r in records} == {"log_api"}
    else:
        assert not exchanges
    if level in ("DEBUG", "INFO"):
        assert len(retries) == 3, [r.getMessage() for r in retries]
    else:
        assert not retries


def test_debug_lines_say_method_url_status_attempt_and_elapsed(
    wire: ModuleType, clean_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="log_api")
    _rest_scenario(wire)
    lines = [r.getMessage() for r in caplog.records if r.name == "log_api"]
    first, second, third = lines[0], lines[2], lines[4]
    assert (
        first.startswith("GET http://127.0.0.1:")
        and "/items/7 -> 503 (attempt 1, " in first
    )
    assert (
        "retrying in" in lines[1]
        and "HTTP 503" in lines[1]
        and "attempt 2 of 3" in lines[1]
    )
    assert "/items/7 -> no answer (" in second and "(attempt 2, " in second
    assert "/items/7 -> 200 (attempt 3, " in third and third.endswith("s)")
    either = next(line for line in lines if "/either?" in line)
    assert (
        "api_key=***" in either
    )  # the query credential is masked, the parameter shown
    retry_429 = next(line for line in lines if "HTTP 429" in line)
    assert "/either?api_key=***" in retry_429
    records = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert all(isinstance(getattr(r, "elapsed", None), float) for r in records)
    assert [getattr(r, "http_status", None) for r in records[:3]] == [503, None, 200]


def test_the_queue_client_logs_polls_and_retries_without_its_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The seeds' fal_api package: `Authorization: Key <key>`, retries on status polls."""
    sys.path.insert(0, str(ROOT / "generated"))
    try:
        from fal_api import Client, RetryPolicy
        from fal_api.testing import FAST_POLL, Fault, MockServer
    finally:
        sys.path.remove(str(ROOT / "generated"))
    caplog.set_level(logging.DEBUG, logger="fal_api")
    with MockServer(api_key=SECRET) as server:
        server.inject("status", Fault(status=429, retry_after=0), times=2)
        with Client(
            key=SECRET,
            base_url=server.url,
            poll=FAST_POLL,
            retry=RetryPolicy(**{**FAST, "max_attempts": 5}),
        ) as client:
            client.flux_lora.run(prompt="a cat")
    records = [r for r in caplog.records if r.name == "fal_api"]
    assert not _leaks(records, SECRET)
    retries = [r.getMessage() for r in records if r.levelno == logging.INFO]
    assert len(retries) == 2 and all("HTTP 429" in line for line in retries)
    lines = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert lines[0].startswith("POST ") and "/fal-ai/flux-lora -> 200" in lines[0]
    assert any("/status?logs=1 -> 429 (attempt 2, " in line for line in lines), lines


def test_masking_covers_a_credential_echoed_into_a_message(wire: ModuleType) -> None:
    """Defence in depth: a value of a credential header found in any logged text is masked,
    and parameters named like credentials are masked even when no scheme declares them.
    """
    log = importlib.import_module("log_api._log")
    protocol = importlib.import_module("log_api._protocol")
    call = protocol.HttpCall(
        "GET",
        "https://user:pw@api.example.com/x?access_token=t0k3n&page=2",
        params={"signature": "abcd1234", "keyword": "cats"},
        headers={"Authorization": f"Bearer {SECRET}", "Cookie": "sid=c00kie-v"},
        query=(("apiKey", SECRET),),
    )
    shown = log.shown_url(call)
    assert shown == (
        "https://api.example.com/x?access_token=***&page=2&signature=***"
        "&keyword=cats&apiKey=***"
    )
    echoed = log.masked(call, f"server said: bad token {SECRET} (cookie c00kie-v)")
    assert echoed == "server said: bad token *** (cookie ***)"
