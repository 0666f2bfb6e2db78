"""Fault injection: 520 seeded runs of the generated client, sync and async, against the mock's
scripted faults and a raw-socket server on 127.0.0.1 that misbehaves (slow drip, truncated
bodies, garbage, resets, wrong content types, huge headers, hostile Retry-After, off-origin
envelopes). Every run must end in a result or one of the package's typed errors, within its
deadline plus a small margin, with at most one submit; the key never reaches another origin.

`python -m tests.test_faults [runs]` prints the figures (outcomes, untyped, worst overrun).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import random
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.helpers import ROOT, run_cli, write_project

if str(ROOT / "generated") not in sys.path:
    sys.path.insert(0, str(ROOT / "generated"))

KEY = "sk-fault-secret-7d1e"
SEED = 20261201
RUNS = 520
# Past its deadline a run may take: the cancel's grace (at most a tenth of the timeout) and
# this much for scheduling on a loaded machine.
MARGIN = 0.35
APP = "fal-ai/flux-lora"
STEPS = ("submit", "status", "result", "cancel")
BEHAVIOURS = (
    "ok",
    "slow_ok",
    "html",
    "html_as_json",
    "truncated",
    "truncated_reset",
    "cut_without_length",
    "garbage",
    "garbage_status_line",
    "not_http",
    "reset",
    "close",
    "hang",
    "drip_headers",
    "drip_body",
    "informational_flood",
    "huge_headers",
    "many_headers",
    "wrong_content_type",
    "wrong_shape",
    "empty",
    "deep_json",
    "non_finite_json",
    "huge_int_json",
    "gzip_garbage",
    "chunked_broken",
    "bomb",
    "retry_after_nan",
    "retry_after_inf",
    "retry_after_huge",
    "retry_after_negative",
    "retry_after_garbage",
    "retry_after_date",
    "long_request_id",
    "redirect_off_origin",
    "off_origin",
    "off_origin_host",
    "off_origin_scheme",
)


# --- the misbehaving server ------------------------------------------------------------------


@dataclass
class Seen:
    host: str
    method: str
    path: str
    had_key: bool


class RawServer:
    """HTTP by hand on 127.0.0.1. A request's path says how to misbehave:
    `/<run>/<faulty step>/<behaviour>/<the client's path>`; other steps answer correctly.
    """

    def __init__(self, canary: RawServer | None = None) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.port = self.listener.getsockname()[1]
        self.canary = canary
        self.seen: list[Seen] = []
        self.submits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.output = b"{}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RawServer:
        self.listener.settimeout(0.05)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(3)
            self._answer(conn)
        except OSError:
            pass  # the client gave up: that is what some behaviours are for
        finally:
            conn.close()

    def _answer(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk or len(data) > 1 << 20:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target = lines[0].split(" ")[:2]
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in lines[1:])
        }
        while len(body) < int(headers.get("content-length", "0")):
            chunk = conn.recv(65536)
            if not chunk:
                return
            body += chunk
        path = urlsplit(target).path
        with self.lock:
            self.seen.append(
                Seen(
                    headers.get("host", ""),
                    method,
                    path,
                    KEY in headers.get("authorization", ""),
                )
            )
        parts = path.split("/")
        if len(parts) < 5:
            return _send(conn, 404, b'{"detail": "no such path"}')
        run, faulty, behaviour = parts[1:4]
        prefix, rest = "/".join(parts[:4]), "/" + "/".join(parts[4:])
        step = _step_of(method, rest)
        if step == "submit":
            with self.lock:
                self.submits[run] += 1
        code, answer = self._correct(
            step, prefix, run, behaviour if step == faulty else "ok"
        )
        if step != faulty or behaviour == "ok":
            return _send(conn, code, answer, request_id=f"req-{run}")
        _misbehave(conn, behaviour, code, answer, self)

    def _correct(
        self, step: str, prefix: str, run: str, behaviour: str
    ) -> tuple[int, bytes]:
        if step == "submit":
            origin = {
                "off_origin": self.canary.origin if self.canary else self.origin,
                "off_origin_host": f"http://localhost:{self.port}",
                "off_origin_scheme": f"https://127.0.0.1:{self.port}",
            }.get(behaviour, self.origin)
            base = f"{origin}{prefix}/{APP}/requests/req-{run}"
            envelope = {
                "status": "IN_QUEUE",
                "request_id": f"req-{run}",
                "response_url": base,
                "status_url": base + "/status",
                "cancel_url": base + "/cancel",
                "queue_position": 0,
            }
            return 200, json.dumps(envelope).encode()
        if step == "status":
            return (
                200,
                json.dumps(
                    {
                        "status": "COMPLETED",
                        "request_id": f"req-{run}",
                        "logs": [],
                        "metrics": {},
                    }
                ).encode(),
            )
        if step == "cancel":
            return 202, b'{"status": "CANCELLATION_REQUESTED"}'
        return 200, self.output


def _step_of(method: str, rest: str) -> str:
    if method == "POST" and rest == f"/{APP}":
        return "submit"
    if rest.endswith("/status"):
        return "status"
    if method == "PUT" and rest.endswith("/cancel"):
        return "cancel"
    return "result" if "/requests/" in rest else "rest"


def _send(
    conn: socket.socket,
    code: int,
    body: bytes,
    content_type: str = "application/json",
    extra: str = "",
    request_id: str = "req-raw",
) -> None:
    head = (
        f"HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"x-fal-request-id: {request_id}\r\nConnection: close\r\n{extra}\r\n"
    )
    conn.sendall(head.encode("latin-1") + body)


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _drip(conn: socket.socket, server: RawServer, data: bytes) -> None:
    """One byte every 10 ms, for at most 3 s."""
    for index in range(300):
        if server.stopped.is_set():
            return
        conn.sendall(data[index % len(data) : index % len(data) + 1])
        time.sleep(0.01)


def _misbehave(
    conn: socket.socket, behaviour: str, code: int, answer: bytes, server: RawServer
) -> None:
    half = answer[: len(answer) // 2]
    later = formatdate(time.time() + 2, usegmt=True)
    retry = {
        "retry_after_nan": "NaN",
        "retry_after_inf": "inf",
        "retry_after_huge": "9" * 400,
        "retry_after_negative": "-5",
        "retry_after_garbage": "soon, maybe",
        "retry_after_date": later,
    }
    if behaviour in retry:
        status = 429 if behaviour in REFUSING else 503
        return _send(
            conn,
            status,
            b'{"detail": "busy"}',
            extra=f"Retry-After: {retry[behaviour]}\r\n",
        )
    if behaviour == "slow_ok":
        time.sleep(0.02)
        return _send(conn, code, answer)
    if behaviour == "html":
        return _send(
            conn, 200, b"<html><body>Bad gateway\x1b[31m</body></html>", "text/html"
        )
    if behaviour == "html_as_json":
        return _send(conn, 200, b"<html><body>oops</body></html>")
    if behaviour in ("truncated", "truncated_reset"):
        head = f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {len(answer)}\r\n"
        conn.sendall(head.encode() + b"x-fal-request-id: req-cut\r\n\r\n" + half)
        if behaviour == "truncated_reset":
            _reset(conn)
        return None
    if behaviour == "cut_without_length":
        conn.sendall(
            f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".encode()
            + half
        )
        return None
    if behaviour == "garbage":
        conn.sendall(random.Random(len(answer)).randbytes(300))
        return None
    if behaviour == "garbage_status_line":
        conn.sendall(b"HTTP/1.1 two hundred OK\r\n\r\n{}")
        return None
    if behaviour == "not_http":
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
        return None
    if behaviour == "reset":
        return _reset(conn)
    if behaviour == "close":
        return None
    if behaviour == "hang":
        server.stopped.wait(3)
        return None
    if behaviour == "drip_headers":
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        return _drip(conn, server, b"abcdefgh")
    if behaviour == "drip_body":
        conn.sendall(
            f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n".encode()
        )
        return _drip(conn, server, answer)
    if behaviour == "informational_flood":
        for _ in range(300):
            if server.stopped.is_set():
                return None
            conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
            time.sleep(0.01)
        return None
    if behaviour == "huge_headers":
        return _send(conn, code, answer, extra=f"X-Big: {'a' * 300_000}\r\n")
    if behaviour == "many_headers":
        return _send(
            conn, code, answer, extra="".join(f"X-H{i}: v\r\n" for i in range(1000))
        )
    if behaviour == "wrong_content_type":
        return _send(conn, code, answer, "text/html; charset=utf-8")
    if behaviour == "wrong_shape":
        return _send(
            conn,
            code,
            b'{"status": "SOMETHING", "queue_position": "first", "images": "none", "logs": 7}',
        )
    if behaviour == "empty":
        return _send(conn, code, b"")
    if behaviour == "deep_json":
        return _send(conn, code, b"[" * 100_000 + b"]" * 100_000)
    if behaviour == "non_finite_json":
        return _send(
            conn,
            code,
            b'{"status": "IN_QUEUE", "queue_position": Infinity, "images": [NaN]}',
        )
    if behaviour == "huge_int_json":
        return _send(
            conn,
            code,
            b'{"status": "IN_QUEUE", "queue_position": ' + b"9" * 5000 + b"}",
        )
    if behaviour == "gzip_garbage":
        return _send(
            conn, code, b"definitely not gzip", extra="Content-Encoding: gzip\r\n"
        )
    if behaviour == "chunked_broken":
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"
        )
        return None
    if (
        behaviour == "bomb"
    ):  # more than the (patched) answer limit, as fast as the socket takes it
        conn.sendall(f"HTTP/1.1 {code} X\r\nContent-Length: {3 << 20}\r\n\r\n".encode())
        for _ in range(48):
            conn.sendall(b"a" * 65536)
        return None
    if behaviour == "long_request_id":
        return _send(conn, 500, b'{"detail": "x"}', request_id="r" * 5000)
    if behaviour == "redirect_off_origin":
        location = f"{server.canary.origin if server.canary else server.origin}/stolen"
        return _send(conn, 302, b"", extra=f"Location: {location}\r\n")
    return _send(conn, code, answer)  # off-origin envelopes are in the correct answer


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Run:
    index: int
    flavour: str
    target: str
    operation: str
    fault: str
    budget: float  # what may be spent: the run's timeout, or the per-call bound times attempts
    elapsed: float = 0.0
    outcome: str = ""
    untyped: str | None = None
    submits: int = 0
    refused: int = (
        0  # submits the server refused with 429 (not taken: sending again is right)
    )


@dataclass
class Campaign:
    runs: list[Run] = field(default_factory=list)
    off_origin: list[Seen] = field(default_factory=list)

    @property
    def untyped(self) -> list[Run]:
        return [run for run in self.runs if run.untyped is not None]

    @property
    def worst_overrun(self) -> float:
        return max(run.elapsed - run.budget for run in self.runs)

    @property
    def duplicates(self) -> list[Run]:
        return [run for run in self.runs if run.submits > 1 + run.refused]


ATTEMPTS = 3
# Raw-server behaviours that answer 429, a refusal: the request was not taken.
REFUSING = ("retry_after_nan", "retry_after_date", "retry_after_garbage")
TLS = ssl.create_default_context()


def _mock_faults(api: ModuleType, canary: RawServer) -> list[tuple[str, Any]]:
    Fault = importlib.import_module(api.__name__ + ".testing").Fault
    later = formatdate(time.time() + 1, usegmt=True)
    base = f"{canary.origin}/{APP}/requests/stolen"
    off_origin = {
        "request_id": "stolen",
        "status_url": base + "/status",
        "response_url": base,
        "cancel_url": base + "/cancel",
    }
    return [
        *[
            (f"status {code}", Fault(status=code))
            for code in (400, 404, 422, 429, 500, 502, 503, 504)
        ],
        ("drop", Fault(drop=True)),
        ("delay 0.05", Fault(delay=0.05)),
        ("delay 1.0", Fault(delay=1.0)),
        (
            "html 200",
            Fault(status=200, body="<html>busy</html>", content_type="text/html"),
        ),
        (
            "html labelled json",
            Fault(
                status=200,
                body="<html>",
                content_type="application/json; charset=utf-8",
            ),
        ),
        ("mislabelled answer", Fault(content_type="text/plain")),
        ("truncated 5", Fault(truncate=5)),
        ("truncated 40", Fault(truncate=40)),
        ("wrong shape", Fault(status=200, body={"status": "DONE?", "images": 3})),
        ("retry-after NaN", Fault(status=429, retry_after="NaN")),
        ("retry-after inf", Fault(status=503, retry_after="inf")),
        ("retry-after text", Fault(status=429, retry_after="tomorrow")),
        ("retry-after date", Fault(status=429, retry_after=later)),
        ("off-origin envelope", Fault(status=200, body=off_origin)),
        ("no request id 503", Fault(status=503, with_request_id=False)),
    ]


def one_run(api: ModuleType, index: int, raw: RawServer, canary: RawServer) -> Run:
    rng = random.Random(SEED * 1000 + index)
    flavour = rng.choice(("sync", "async"))
    on_mock = rng.random() < 0.4
    operation = rng.choice(
        ("run", "run", "run", "submit", "status", "result", "cancel", "rest")
    )
    if on_mock and operation == "rest":
        operation = "run"
    call_timeout = rng.uniform(0.05, 0.2)
    run_timeout = rng.uniform(0.1, 0.4)
    retry = api.RetryPolicy(max_attempts=ATTEMPTS, initial_delay=0.001, max_delay=0.05)
    if operation == "run":
        budget = run_timeout + min(
            1.0, max(0.1, run_timeout * 0.1)
        )  # the cancel's grace
    else:
        budget = ATTEMPTS * (call_timeout + retry.max_delay)
    if on_mock:
        faults = _mock_faults(api, canary)
        name, fault = faults[rng.randrange(len(faults))]
        step = rng.choice(STEPS if operation == "run" else (operation,))
        run = Run(
            index,
            flavour,
            "mock",
            operation,
            f"{step}: {name} x{rng.randint(1, 3)}",
            budget,
        )
        testing = importlib.import_module(api.__name__ + ".testing")
        with testing.MockServer(
            polls_in_queue=rng.randint(0, 2), polls_in_progress=rng.randint(0, 1)
        ) as server:
            if operation in ("status", "result", "cancel"):
                with (
                    httpx.Client(verify=TLS) as http,
                    api.Client(
                        key=KEY, base_url=server.url, http_client=http
                    ) as client,
                ):
                    request_id = client.flux_lora.submit(prompt="x").request_id
            else:
                request_id = ""
            server.inject(step, fault, times=int(run.fault.rsplit("x", 1)[1]))
            if step == "submit" and fault.status == 429:
                run.refused = int(run.fault.rsplit("x", 1)[1])
            _execute(api, run, server.url, request_id, call_timeout, run_timeout, retry)
            run.submits = server.submits - (1 if request_id else 0)
        return run
    step = rng.choice(
        STEPS
        if operation == "run"
        else ("result",) if operation == "rest" else (operation,)
    )
    behaviour = BEHAVIOURS[rng.randrange(len(BEHAVIOURS))]
    run = Run(index, flavour, "raw", operation, f"{step}: {behaviour}", budget)
    faulty = "rest" if operation == "rest" else step
    _execute(
        api,
        run,
        f"{raw.origin}/r{index}/{faulty}/{behaviour}",
        "req-x",
        call_timeout,
        run_timeout,
        retry,
    )
    run.submits = raw.submits[f"r{index}"]
    if step == "submit" and behaviour in REFUSING:
        run.refused = (
            ATTEMPTS  # every answer was a 429: none of those submits was taken
        )
    return run


def _execute(
    api: ModuleType,
    run: Run,
    base_url: str,
    request_id: str,
    call_timeout: float,
    run_timeout: float,
    retry: Any,
) -> None:
    testing = importlib.import_module(api.__name__ + ".testing")
    rest = importlib.import_module(api.__name__ + "._rest")
    operation = rest.Operation(
        "GET",
        "/items/{item}",
        params=(("item", "item", "path"),),
        responses={200: api.models.FluxLoraOutput},
    )
    options = {
        "key": KEY,
        "base_url": base_url,
        "retry": retry,
        "poll": testing.FAST_POLL,
    }
    # One TLS context for all runs: building one per client costs more than most runs take.
    transport = {"timeout": call_timeout, "verify": TLS}

    def action(client: Any) -> Any:
        endpoint = client.flux_lora
        if run.operation == "run":
            return endpoint.run(prompt="x", timeout=run_timeout)
        if run.operation == "submit":
            return endpoint.submit(prompt="x")
        if run.operation == "rest":
            call = rest.build_call(client._settings, operation, {"item": "a/b"})
            return client._drive(rest.call(client._settings, operation, call))
        return getattr(endpoint, run.operation)(request_id)

    started = 0.0  # the call is timed, not the client's construction (an SSL context) or closing

    def timed(call: Callable[[], Any]) -> Any:
        nonlocal started
        started = time.monotonic()
        try:
            return call()
        finally:
            run.elapsed = time.monotonic() - started

    async def timed_async(call: Callable[[], Awaitable[Any]]) -> Any:
        nonlocal started
        started = time.monotonic()
        try:
            return await call()
        finally:
            run.elapsed = time.monotonic() - started

    try:
        if run.flavour == "sync":
            with (
                httpx.Client(**transport) as http,
                api.Client(**options, http_client=http) as client,
            ):
                outcome = timed(lambda: action(client))
        else:

            async def scenario() -> Any:
                async with (
                    httpx.AsyncClient(**transport) as http,
                    api.AsyncClient(**options, http_client=http) as client,
                ):
                    return await timed_async(lambda: action(client))

            outcome = asyncio.run(scenario())
        run.outcome = type(outcome).__name__
    except api.ClientError as error:
        run.outcome = type(error).__name__
    except Exception as error:  # the property under test: this must never happen
        run.outcome = type(error).__name__
        run.untyped = (
            f"{type(error).__module__}.{type(error).__name__}: {str(error)[:160]}"
        )


def campaign(api: ModuleType, runs: int = RUNS, workers: int = 8) -> Campaign:
    """All runs, `workers` at a time (each its own client, server scripts and deadline)."""
    http = importlib.import_module(api.__name__ + "._http")
    limit = getattr(http, "MAX_ANSWER_BYTES", None)
    if limit is not None:
        http.MAX_ANSWER_BYTES = (
            1 << 20
        )  # so that the bomb is bigger than the limit, in milliseconds
    canary = RawServer().start()
    raw = RawServer(canary).start()
    raw.output = json.dumps(
        importlib.import_module(api.__name__ + "._sample").sample(_output_schema(api))
    ).encode()
    try:
        with ThreadPoolExecutor(workers) as pool:
            done = list(
                pool.map(lambda index: one_run(api, index, raw, canary), range(runs))
            )
    finally:
        raw.stop()
        canary.stop()
        if limit is not None:
            http.MAX_ANSWER_BYTES = limit
    own = f"127.0.0.1:{raw.port}"
    stolen = [seen for seen in raw.seen if seen.host != own and seen.had_key] + [
        s for s in canary.seen if s.had_key
    ]
    return Campaign(done, stolen + [s for s in canary.seen if not s.had_key])


def _output_schema(api: ModuleType) -> Any:
    return importlib.import_module(api.__name__ + "._spec").ENDPOINTS[f"/{APP}"][
        "output_schema"
    ]


# --- the test -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result() -> Iterator[Campaign]:
    yield campaign(importlib.import_module("fal_api"))


def test_every_failure_is_typed(result: Campaign) -> None:
    assert len(result.runs) >= 500
    assert {run.flavour for run in result.runs} == {"sync", "async"}
    assert {run.target for run in result.runs} == {"mock", "raw"}
    assert [f"{run.fault} -> {run.untyped}" for run in result.untyped] == []
    # The faults bite: most runs end in a typed error, and the clean paths still succeed.
    # (How many runs hit their deadline depends on the machine's load: only ask for some.)
    outcomes = Counter(run.outcome for run in result.runs)
    assert outcomes["FluxLoraOutput"] > 20 and outcomes["RequestTimeoutError"] >= 5
    typed = {name for name in outcomes if name.endswith("Error")}
    assert {
        "MalformedResponseError",
        "ConnectionFailedError",
        "ServerError",
    } <= typed, outcomes


def test_no_run_outlives_its_deadline(result: Campaign) -> None:
    late = [
        f"{run.index} {run.operation} {run.fault}: {run.elapsed:.2f} s for {run.budget:.2f}"
        for run in result.runs
        if run.elapsed > run.budget + MARGIN
    ]
    assert late == []


def test_no_submit_is_sent_twice(result: Campaign) -> None:
    assert [run.fault for run in result.duplicates] == []


def test_the_key_never_leaves_the_origin(result: Campaign) -> None:
    # Nothing reached the other origin at all: not the envelope's URLs, not a redirect.
    assert result.off_origin == []


def main(argv: list[str]) -> None:  # pragma: no cover - the figures for a report
    runs = int(argv[0]) if argv else RUNS
    started = time.monotonic()
    found = campaign(
        importlib.import_module("fal_api"), runs, int(argv[1]) if len(argv) > 1 else 8
    )
    print(
        f"{len(found.runs)} runs in {time.monotonic() - started:.1f} s ({sum(r.elapsed for r in found.runs):.1f} s in calls)"
    )
    print("outcomes:", dict(Counter(run.outcome for run in found.runs).most_common()))
    print(f"untyped: {len(found.untyped)}")
    for run in found.untyped[:40]:
        print(f"  {run.flavour} {run.operation} {run.fault}: {run.untyped}")
    over = sorted(found.runs, key=lambda run: run.budget - run.elapsed)[:5]
    print(
        f"worst overrun: {found.worst_overrun:+.3f} s; past the margin: {sum(r.elapsed > r.budget + MARGIN for r in found.runs)}"
    )
    for run in over:
        print(
            f"  {run.flavour} {run.operation} {run.fault}: {run.elapsed:.2f} s for {run.budget:.2f}"
        )
    print(
        f"duplicate submits: {len(found.duplicates)}; off-origin requests: {len(found.off_origin)}"
    )
    for run in found.duplicates:
        print(
            f"  {run.flavour} {run.operation} {run.target} {run.fault}: {run.submits}"
        )


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])


# --- the mock routes a path parameter that holds a slash (issue 16) ---------------------------


def slash_spec() -> str:
    """A plain GET whose path parameter's documented example holds `/`, `%` and a space."""
    params = {
        "path": [
            {
                "name": "name",
                "required": True,
                "schema": {"type": "string", "example": "dir/50% a.txt"},
            }
        ]
    }
    schema = {
        "type": "object",
        "properties": {"size": {"type": "integer"}},
        "required": ["size"],
    }
    responses = [
        {
            "id": 1,
            "name": "ok",
            "code": 200,
            "contentType": "json",
            "jsonSchema": schema,
        }
    ]
    examples = [{"responseId": 1, "name": "ok", "data": json.dumps({"size": 3})}]
    return "\n".join(
        [
            "Read a file",
            "GET /files/{name}",
            "概览",
            "| Method | GET |",
            "|---|---|",
            "| Path | /files/{name} |",
            "参数",
            json.dumps(params),
            "响应",
            json.dumps(responses),
            "响应示例",
            json.dumps(examples),
        ]
    )


def test_a_path_parameter_holding_a_slash_passes_its_contract_tests(
    tmp_path: Path,
) -> None:
    pyproject = write_project(
        tmp_path, {"files.txt": slash_spec()}, package="slash_api"
    )
    done = run_cli("generate", "--config", str(pyproject))
    assert done.returncode == 0, done.stderr
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "generated/tests",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert (
        " passed" in tests.stdout
        and "skipped" not in tests.stdout.split("passed")[0][-40:]
    )


# --- REST routes under faults ------------------------------------------------------------------
#
# The same invariants for plain (REST) endpoints of a package generated from a small document of
# our own: GET/DELETE (idempotent, retried on 408/409/429/5xx and on failures), POST/PATCH (not
# idempotent: sent again only after a 429, the server's refusal, or a failure before any byte
# left this machine; never after a 5xx, even with Retry-After, nor after a timeout or a broken
# answer: the server may have done the work). Each call carries its own `timeout`, so a run's
# budget is its attempts times (the call's timeout plus the longest pause).

REST_RUNS = 260
REST_DOCUMENT = """\
openapi: 3.0.3
info: {title: faulty, version: "1"}
servers:
  - url: https://api.example.com
security:
  - bearerAuth: []
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
  schemas:
    Item:
      type: object
      required: [id, name]
      properties:
        id: {type: integer, example: 7}
        name: {type: string, example: lamp}
    NewItem:
      type: object
      required: [name]
      properties:
        name: {type: string, example: lamp}
    Problem:
      type: object
      properties:
        detail: {type: string}
paths:
  /items:
    post:
      operationId: createItem
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewItem"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer, example: 7}}
    get:
      operationId: getItem
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
        "404":
          description: missing
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Problem"}
    patch:
      operationId: renameItem
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewItem"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
    delete:
      operationId: deleteItem
      responses:
        "204": {description: deleted}
"""
# (method, documented path, the client's method, its arguments)
REST_CALLS = (
    ("GET", "/items/{id}", "get_item", {"id": 7}),
    ("DELETE", "/items/{id}", "delete_item", {"id": 7}),
    ("POST", "/items", "create_item", {"name": "lamp"}),
    ("PATCH", "/items/{id}", "rename_item", {"id": 7, "name": "lamp"}),
)
NOT_IDEMPOTENT = ("POST", "PATCH")


@dataclass
class RestRun(Run):
    method: str = ""
    sent: int = 0  # how many times the request reached a server


def _rest_faults(testing: ModuleType) -> list[tuple[str, Any, int]]:
    """(name, fault, how many of its answers refuse the request: a 429 is not taken)."""
    Fault = testing.Fault
    later = formatdate(time.time() + 1, usegmt=True)
    return [
        *[
            (f"status {code}", Fault(status=code), 1 if code == 429 else 0)
            for code in (400, 401, 404, 409, 422, 429, 500, 502, 503, 504)
        ],
        ("429 retry-after 0.01", Fault(status=429, retry_after=0.01), 1),
        ("503 retry-after 0.01", Fault(status=503, retry_after=0.01), 0),
        ("429 retry-after date", Fault(status=429, retry_after=later), 1),
        ("503 retry-after NaN", Fault(status=503, retry_after="NaN"), 0),
        ("429 retry-after text", Fault(status=429, retry_after="soon"), 1),
        ("drop", Fault(drop=True), 0),
        ("reset", Fault(reset=True), 0),
        ("delay 0.02", Fault(delay=0.02), 0),
        ("delay 1.0", Fault(delay=1.0), 0),
        (
            "html 200",
            Fault(status=200, body="<html>busy</html>", content_type="text/html"),
            0,
        ),
        (
            "html labelled json",
            Fault(status=200, body="<html>", content_type="application/json"),
            0,
        ),
        ("text 200", Fault(status=200, body="OK", content_type="text/plain"), 0),
        ("mislabelled answer", Fault(content_type="text/plain"), 0),
        ("truncated 0", Fault(truncate=0), 0),
        ("truncated 5", Fault(truncate=5), 0),
        ("wrong shape", Fault(status=200, body={"id": "seven", "name": 3}), 0),
        (
            "html 502",
            Fault(status=502, body="<h1>502</h1>", content_type="text/html"),
            0,
        ),
    ]


def rest_run(api: ModuleType, index: int, raw: RawServer, canary: RawServer) -> RestRun:
    rng = random.Random(SEED * 7 + index)
    flavour = rng.choice(("sync", "async"))
    method, path, name, kwargs = REST_CALLS[rng.randrange(len(REST_CALLS))]
    call_timeout = rng.uniform(0.05, 0.2)
    retry = api.RetryPolicy(max_attempts=ATTEMPTS, initial_delay=0.001, max_delay=0.05)
    budget = ATTEMPTS * (call_timeout + retry.max_delay)
    testing = importlib.import_module(api.__name__ + ".testing")
    if rng.random() < 0.5:
        faults = _rest_faults(testing)
        label, fault, refusing = faults[rng.randrange(len(faults))]
        times = rng.randint(1, 3)
        where = rng.choice(("rest", f"{method} {path}"))
        run = RestRun(
            index, flavour, "mock", name, f"{where}: {label} x{times}", budget
        )
        run.method, run.refused = method, refusing * times
        with testing.MockServer(api_key=KEY) as server:
            server.inject(where, fault, times=times)
            _execute_rest(api, run, server.url, name, kwargs, call_timeout, retry)
            run.sent = sum(1 for r in server.requests if r.method == method)
        return run
    behaviour = BEHAVIOURS[rng.randrange(len(BEHAVIOURS))]
    run = RestRun(index, flavour, "raw", name, f"rest: {behaviour}", budget)
    run.method = method
    prefix = f"/q{index}/rest/{behaviour}"
    _execute_rest(api, run, f"{raw.origin}{prefix}", name, kwargs, call_timeout, retry)
    with raw.lock:
        run.sent = sum(
            1
            for s in raw.seen
            if s.path.startswith(prefix + "/") and s.method == method
        )
    if behaviour in REFUSING:
        run.refused = (
            ATTEMPTS  # every answer was a 429: none of those requests was taken
        )
    return run


def _execute_rest(
    api: ModuleType,
    run: RestRun,
    base_url: str,
    name: str,
    kwargs: dict[str, Any],
    call_timeout: float,
    retry: Any,
) -> None:
    options = {"key": KEY, "base_url": base_url, "retry": retry}
    transport = {"verify": TLS}
    try:
        if run.flavour == "sync":
            with (
                httpx.Client(**transport) as http,
                api.Client(**options, http_client=http) as client,
            ):
                started = time.monotonic()
                try:
                    outcome = getattr(client, name)(**kwargs, timeout=call_timeout)
                finally:
                    run.elapsed = time.monotonic() - started
        else:

            async def scenario() -> Any:
                async with (
                    httpx.AsyncClient(**transport) as http,
                    api.AsyncClient(**options, http_client=http) as client,
                ):
                    started = time.monotonic()
                    try:
                        return await getattr(client, name)(
                            **kwargs, timeout=call_timeout
                        )
                    finally:
                        run.elapsed = time.monotonic() - started

            outcome = asyncio.run(scenario())
        run.outcome = type(outcome).__name__
    except api.ClientError as error:
        run.outcome = type(error).__name__
    except Exception as error:  # the property under test: this must never happen
        run.outcome = type(error).__name__
        run.untyped = (
            f"{type(error).__module__}.{type(error).__name__}: {str(error)[:160]}"
        )


def rest_campaign(api: ModuleType, runs: int = REST_RUNS, workers: int = 8) -> Campaign:
    http = importlib.import_module(api.__name__ + "._http")
    limit = http.MAX_ANSWER_BYTES
    http.MAX_ANSWER_BYTES = 1 << 20  # so that the bomb is bigger than the limit
    canary = RawServer().start()
    raw = RawServer(canary).start()
    raw.output = b'{"id": 7, "name": "lamp"}'
    try:
        with ThreadPoolExecutor(workers) as pool:
            done = list(
                pool.map(lambda index: rest_run(api, index, raw, canary), range(runs))
            )
    finally:
        raw.stop()
        canary.stop()
        http.MAX_ANSWER_BYTES = limit
    own = f"127.0.0.1:{raw.port}"
    stolen = [seen for seen in raw.seen if seen.host != own and seen.had_key]
    return Campaign(list(done), stolen + list(canary.seen))


@pytest.fixture(scope="module")
def rest_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("faulty")
    (root / "faulty.openapi.yaml").write_text(REST_DOCUMENT, encoding="utf-8")
    out = root / "generated"
    done = run_cli(
        "generate",
        "--input",
        str(root / "faulty.openapi.yaml"),
        "--out",
        str(out),
        "--package",
        "faulty_api",
        "--no-cache",
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("faulty_api")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "faulty_api"]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def rest_result(rest_api: ModuleType) -> Campaign:
    return rest_campaign(rest_api)


def test_rest_every_failure_is_typed(rest_result: Campaign) -> None:
    runs = rest_result.runs
    assert len(runs) >= 250
    assert {run.flavour for run in runs} == {"sync", "async"}
    assert {run.target for run in runs} == {"mock", "raw"}
    assert {run.operation for run in runs} == {c[2] for c in REST_CALLS}
    assert [f"{run.fault} -> {run.untyped}" for run in rest_result.untyped] == []
    outcomes = Counter(run.outcome for run in runs)
    assert outcomes["Item"] > 10, outcomes  # the clean paths still succeed
    # a method that promises an Item returns one or raises: never a str, a dict or None
    promised = [
        f"{run.operation} {run.fault}: {run.outcome}"
        for run in runs
        if run.operation != "delete_item"
        and not (run.outcome == "Item" or run.outcome.endswith("Error"))
    ]
    assert promised == []
    typed = {name for name in outcomes if name.endswith("Error")}
    assert {
        "MalformedResponseError",
        "ConnectionFailedError",
        "ServerError",
        "RateLimitError",
    } <= typed, outcomes


def test_rest_no_call_outlives_its_timeouts(rest_result: Campaign) -> None:
    late = [
        f"{run.index} {run.operation} {run.fault}: {run.elapsed:.2f} s for {run.budget:.2f}"
        for run in rest_result.runs
        if run.elapsed > run.budget + MARGIN
    ]
    assert late == []


def test_rest_requests_that_are_not_idempotent_are_never_repeated(
    rest_result: Campaign,
) -> None:
    runs = [run for run in rest_result.runs if isinstance(run, RestRun)]
    repeated = [
        f"{run.method} {run.target} {run.fault}: sent {run.sent}"
        for run in runs
        if run.method in NOT_IDEMPOTENT and run.sent > 1 + run.refused
    ]
    assert repeated == []
    # ... while idempotent ones are retried (the policy bites), and a refusal is retried too
    assert any(run.method not in NOT_IDEMPOTENT and run.sent > 1 for run in runs)
    assert any(run.method in NOT_IDEMPOTENT and run.sent > 1 for run in runs)


def test_rest_the_key_never_leaves_the_origin(rest_result: Campaign) -> None:
    assert rest_result.off_origin == []


def test_a_rest_fault_names_a_route_or_any_route(rest_api: ModuleType) -> None:
    """Scripted faults of plain endpoints: a route's own go first, "rest" applies to any
    route, an unknown name is refused; truncation and relabelling keep the real answer.
    """
    testing = importlib.import_module("faulty_api.testing")
    Fault = testing.Fault
    with (
        testing.MockServer(api_key=KEY) as server,
        rest_api.Client(
            key=KEY, base_url=server.url, retry=rest_api.RetryPolicy(max_attempts=1)
        ) as client,
    ):
        with pytest.raises(ValueError, match="GET /items/"):
            server.inject("GET /nowhere", Fault(status=500))
        server.inject("rest", Fault(status=502))
        server.inject("DELETE /items/{id}", Fault(status=409))
        with pytest.raises(rest_api.APIError) as first:
            client.delete_item(id=7)
        assert first.value.status_code == 409  # the route's own fault first
        with pytest.raises(rest_api.ServerError):
            client.get_item(id=7)  # then any route's
        assert (
            client.get_item(id=7).name == "lamp"
        )  # no fault left: the documented answer
        server.inject("rest", Fault(content_type="text/html"))
        with pytest.raises(rest_api.MalformedResponseError) as relabelled:
            client.get_item(
                id=7
            )  # documented as JSON: not a str where an Item was promised
        assert relabelled.value.body == '{"id": 7, "name": "lamp"}'
        server.inject("GET /items/{id}", Fault(truncate=3))
        with pytest.raises(rest_api.ConnectionFailedError):
            client.get_item(id=7)
        server.inject("POST /items", Fault(reset=True))
        with pytest.raises(rest_api.ConnectionFailedError) as reset:
            client.create_item(name="x")
        assert reset.value.maybe_sent
