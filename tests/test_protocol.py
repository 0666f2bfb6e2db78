"""The generated client's protocol under faults, sync and async, against the real mock server:
retries on the retryable codes only, Retry-After obeyed, no duplicate submit, typed errors,
timeouts that cancel, push updates, webhooks, and a key that never shows."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from fal_api import (
    AsyncClient,
    AuthenticationError,
    Client,
    Completed,
    ConnectionFailedError,
    InputValidationError,
    MalformedResponseError,
    NotFoundError,
    PollPolicy,
    Queued,
    RateLimitError,
    RequestFailedError,
    RequestTimeoutError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    UntrustedURLError,
    ValidationError,
    models,
)
from fal_api.testing import FAST_POLL, Fault, MockServer

import tests.test_generated_client  # noqa: F401  (puts generated/ on sys.path)

KEY = "sk-secret-4f9a"
FAST_RETRY = RetryPolicy(max_attempts=4, initial_delay=0.001, max_delay=0.5)
FLAVOURS = ["sync", "async"]


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(polls_in_queue=1, polls_in_progress=1) as mock:
        yield mock


def call(
    flavour: str, base_url: str, method: str, *args: Any, key: str = KEY, **kwargs: Any
) -> Any:
    """client.flux_lora.<method>(...) with a fresh Client or AsyncClient."""
    options = {"key": key, "base_url": base_url, "retry": FAST_RETRY, "poll": FAST_POLL}
    if flavour == "sync":
        with Client(**options) as client:
            return getattr(client.flux_lora, method)(*args, **kwargs)

    async def scenario() -> Any:
        async with AsyncClient(**options) as client:
            return await getattr(client.flux_lora, method)(*args, **kwargs)

    return asyncio.run(scenario())


def statuses(server: MockServer) -> list[str]:
    return [r.path for r in server.requests if r.path.endswith("/status")]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("code", [408, 409, 429, 502, 503, 504])
def test_status_is_retried_on_retryable_codes(
    server: MockServer, flavour: str, code: int
) -> None:
    handle = call(flavour, server.url, "submit", prompt="x")
    server.inject("status", Fault(status=code), times=2)
    assert isinstance(call(flavour, server.url, "status", handle), Queued)
    assert len(statuses(server)) == 3


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("code", "error"),
    [
        (400, Exception),
        (401, AuthenticationError),
        (404, NotFoundError),
        (422, ValidationError),
        (500, ServerError),
    ],
)
def test_other_codes_are_not_retried_and_are_typed(
    server: MockServer, flavour: str, code: int, error: type[Exception]
) -> None:
    handle = call(flavour, server.url, "submit", prompt="x")
    server.inject("status", Fault(status=code))
    with pytest.raises(error) as caught:
        call(flavour, server.url, "status", handle)
    assert caught.value.status_code == code  # type: ignore[attr-defined]
    assert caught.value.request_id == handle.request_id  # type: ignore[attr-defined]
    assert len(statuses(server)) == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_retry_after_is_obeyed(server: MockServer, flavour: str) -> None:
    handle = call(flavour, server.url, "submit", prompt="x")
    server.inject("result", Fault(status=429, retry_after=0.3))
    call(flavour, server.url, "wait", handle)
    started = time.monotonic()
    assert isinstance(
        call(flavour, server.url, "result", handle), models.FluxLoraOutput
    )
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_rate_limit_after_the_last_attempt_says_when_to_come_back(
    server: MockServer, flavour: str
) -> None:
    handle = call(flavour, server.url, "submit", prompt="x")
    server.inject(
        "status", Fault(status=429, retry_after=0.01), times=FAST_RETRY.max_attempts
    )
    with pytest.raises(RateLimitError) as caught:
        call(flavour, server.url, "status", handle)
    assert caught.value.retry_after == 0.01


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    "code", [503, 504]
)  # a 429 is a refusal: see test_fal_features
def test_a_submit_that_reached_the_server_is_never_sent_again(
    server: MockServer, flavour: str, code: int
) -> None:
    server.inject("submit", Fault(status=code, retry_after=0.01))
    with pytest.raises((RateLimitError, ServerError)):
        call(flavour, server.url, "submit", prompt="x")
    assert server.submits == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_dropped_submit_is_reported_not_repeated(
    server: MockServer, flavour: str
) -> None:
    server.inject("submit", Fault(drop=True))
    with pytest.raises(ConnectionFailedError) as caught:
        call(flavour, server.url, "submit", prompt="x")
    assert caught.value.maybe_sent is True and "not sent again" in str(caught.value)
    assert server.submits == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_refused_connection_is_retried_and_then_reported(flavour: str) -> None:
    with MockServer() as gone:
        url = gone.url
    with pytest.raises(ConnectionFailedError) as caught:
        call(flavour, url, "submit", prompt="x")
    assert caught.value.maybe_sent is False


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_dropped_and_slow_status_calls_are_survived(
    server: MockServer, flavour: str
) -> None:
    handle = call(flavour, server.url, "submit", prompt="x")
    server.inject("status", Fault(drop=True))
    server.inject("status", Fault(delay=0.2))
    assert isinstance(call(flavour, server.url, "status", handle), Queued)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_server_side_422_carries_the_parsed_detail(
    server: MockServer, flavour: str
) -> None:
    detail = {
        "detail": [
            {
                "loc": ["body", "prompt"],
                "msg": "field required",
                "type": "value_error.missing",
            }
        ]
    }
    server.inject("submit", Fault(status=422, body=detail))
    with pytest.raises(ValidationError) as caught:
        call(flavour, server.url, "submit", prompt="x")
    assert caught.value.errors == detail["detail"]
    assert "prompt: field required" in str(caught.value)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_failed_request_raises_request_failed(flavour: str) -> None:
    with (
        MockServer(
            fail_requests=("Runner disconnected", "runner_disconnected")
        ) as server,
        pytest.raises(RequestFailedError) as caught,
    ):
        call(flavour, server.url, "run", prompt="x")
    assert caught.value.error_type == "runner_disconnected"
    assert caught.value.request_id in server.jobs


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_timeout_cancels_and_carries_the_request_id(flavour: str) -> None:
    with MockServer(polls_in_queue=100_000) as server:
        with pytest.raises(RequestTimeoutError) as caught:
            call(flavour, server.url, "run", prompt="x", timeout=0.1)
        [job] = server.jobs.values()
    assert caught.value.request_id == job.request_id and job.cancelled


def test_polling_backs_off_from_small_to_the_cap() -> None:
    with (
        MockServer(polls_in_queue=12) as server,
        Client(
            key=KEY,
            base_url=server.url,
            poll=PollPolicy(initial=0.01, factor=2.0, maximum=0.04),
        ) as client,
    ):
        started = time.monotonic()
        client.flux_lora.run(prompt="x")
        elapsed = time.monotonic() - started
    # 0.01 + 0.02 + 0.04 * 11 = 0.47 s of sleeping; fixed 0.01 s polling would take 0.13 s
    assert 0.4 < elapsed < 3


def test_async_on_update_may_be_a_coroutine(server: MockServer) -> None:
    seen: list[object] = []

    async def on_update(status: object) -> None:
        await asyncio.sleep(0)
        seen.append(status)

    call("async", server.url, "run", prompt="x", on_update=on_update)
    assert isinstance(seen[0], Queued) and isinstance(seen[-1], Completed)


def test_async_status_stream(server: MockServer) -> None:
    async def scenario() -> list[object]:
        async with AsyncClient(key=KEY, base_url=server.url) as client:
            handle = await client.flux_lora.submit(prompt="x")
            return [update async for update in client.flux_lora.status_stream(handle)]

    updates = asyncio.run(scenario())
    assert isinstance(updates[0], Queued) and isinstance(updates[-1], Completed)
    assert [r.path.endswith("/status/stream") for r in server.requests].count(True) == 1


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        _Receiver.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_webhook_is_sent_and_its_payload_parses_typed(server: MockServer) -> None:
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, args=(0.01,), daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook?a=1&b=2"
    try:
        with Client(key=KEY, base_url=server.url, poll=FAST_POLL) as client:
            handle = client.flux_lora.submit(prompt="x", webhook_url=hook)
            client.flux_lora.wait(handle)
            deadline = time.monotonic() + 5
            while not _Receiver.received and time.monotonic() < deadline:
                time.sleep(0.01)
            payload = client.flux_lora.parse_webhook(_Receiver.received[-1])
    finally:
        receiver.shutdown()
    submit = next(r for r in server.requests if r.method == "POST")
    assert submit.query["fal_webhook"] == [hook]  # sent URL-encoded: `&b=2` survived
    assert payload.ok and payload.request_id == handle.request_id
    assert isinstance(payload.payload, models.FluxLoraOutput)


def test_a_failed_webhook_payload_keeps_the_error_body() -> None:
    with Client(key=KEY, base_url="http://127.0.0.1:9") as client:
        body = {
            "request_id": "r",
            "status": "ERROR",
            "error": "Invalid status code: 422",
            "payload": {"detail": []},
        }
        payload = client.flux_lora.parse_webhook(json.dumps(body))
    assert not payload.ok and payload.payload == {"detail": []}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_key_never_appears_in_errors_reprs_or_logs(
    server: MockServer, flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    server.inject("submit", Fault(status=503))
    for scenario in (
        lambda: call(flavour, server.url, "submit", prompt="x"),
        lambda: call(flavour, server.url, "status", "missing-id"),
        lambda: call(flavour, server.url, "run", prompt="x", num_images=99),
        lambda: call(flavour, "http://127.0.0.1:9", "submit", prompt="x"),
    ):
        with pytest.raises(Exception) as caught:
            scenario()
        errors.append(caught.value)
    call(flavour, server.url, "run", prompt="x")
    texts = (
        [str(e) for e in errors]
        + [repr(e) for e in errors]
        + [repr(vars(e)) for e in errors]
    )
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert not [text for text in texts if KEY in text]


# --- answers that are not what they claim (issue 10, 16) ------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_html_answer_is_a_malformed_response_with_a_bounded_excerpt(
    server: MockServer, flavour: str
) -> None:
    handle = call(flavour, server.url, "submit", prompt="x")
    page = "<html>\x1b[2J" + "busy " * 2000 + "</html>"
    server.inject("status", Fault(status=200, body=page, content_type="text/html"))
    with pytest.raises(MalformedResponseError) as caught:
        call(flavour, server.url, "status", handle)
    error = caught.value
    assert (error.status_code, error.request_id) == (200, handle.request_id)
    assert error.content_type == "text/html" and error.body.startswith("<html>\\x1b")
    assert len(error.body) <= 303 and len(str(error)) < 600 and "\x1b" not in str(error)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_result_that_does_not_fit_the_model_keeps_the_data(
    server: MockServer, flavour: str
) -> None:
    handle = call(flavour, server.url, "submit", prompt="x")
    call(flavour, server.url, "wait", handle)
    server.inject("result", Fault(status=200, body={"images": "none"}))
    with pytest.raises(ResponseValidationError) as caught:
        call(flavour, server.url, "result", handle)
    assert caught.value.data == {"images": "none"}
    assert any(problem.startswith("images") for problem in caught.value.problems)
    assert isinstance(caught.value, MalformedResponseError)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_submit_answer_cut_short_after_queueing_is_maybe_sent_with_its_id(
    server: MockServer, flavour: str
) -> None:
    server.inject("submit", Fault(truncate=30))
    with pytest.raises(ConnectionFailedError) as caught:
        call(flavour, server.url, "submit", prompt="x")
    [job] = server.jobs.values()  # the server did queue it
    assert caught.value.maybe_sent is True
    assert caught.value.request_id == job.request_id
    assert server.submits == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_unreadable_submit_answer_is_maybe_sent_not_resent(
    server: MockServer, flavour: str
) -> None:
    server.inject(
        "submit", Fault(status=200, body="<h1>ok</h1>", content_type="text/html")
    )
    with pytest.raises(ConnectionFailedError) as caught:
        call(flavour, server.url, "submit", prompt="x")
    assert caught.value.maybe_sent is True and server.submits == 1


@pytest.mark.parametrize(
    "value", ["NaN", "inf", "-1", "1e3", "soon", "0x10", "1_0", "Fri, 99 Foo 2015"]
)
def test_retry_after_that_is_neither_seconds_nor_a_date_is_ignored(
    server: MockServer, value: str
) -> None:
    handle = call("sync", server.url, "submit", prompt="x")
    server.inject(
        "status", Fault(status=429, retry_after=value), times=FAST_RETRY.max_attempts
    )
    with pytest.raises(RateLimitError) as caught:
        call("sync", server.url, "status", handle)
    assert caught.value.retry_after is None


def test_retry_after_as_an_http_date_is_honoured(server: MockServer) -> None:
    handle = call("sync", server.url, "submit", prompt="x")
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    server.inject(
        "status", Fault(status=429, retry_after=past), times=FAST_RETRY.max_attempts
    )
    with pytest.raises(RateLimitError) as caught:
        call("sync", server.url, "status", handle)
    assert caught.value.retry_after == 0.0
    server.inject(
        "status",
        Fault(status=503, retry_after=formatdate(time.time() + 2, usegmt=True)),
    )
    patient = RetryPolicy(max_attempts=2, initial_delay=0.001, max_delay=5)
    started = time.monotonic()
    with Client(key=KEY, base_url=server.url, retry=patient) as client:
        assert isinstance(client.flux_lora.status(handle), Queued)
    assert (
        time.monotonic() - started >= 0.9
    )  # the date has whole seconds: 1 to 2 s ahead


# --- the overall timeout bounds every call inside it ------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("operation", ["status", "result"])
def test_run_timeout_bounds_a_call_that_hangs(flavour: str, operation: str) -> None:
    with MockServer(polls_in_queue=0, polls_in_progress=0) as server:
        server.inject(operation, Fault(delay=3))
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as caught:
            call(flavour, server.url, "run", prompt="x", timeout=0.4)
        elapsed = time.monotonic() - started
        [job] = server.jobs.values()
    assert elapsed < 0.4 + 0.1 + 0.5  # the timeout, the cancel's grace, a margin
    assert caught.value.request_id == job.request_id
    assert caught.value.cancelled is (operation == "status")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_run_timeout_bounds_a_submit_that_hangs(flavour: str) -> None:
    with MockServer() as server:
        server.inject("submit", Fault(delay=3))
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as caught:
            call(flavour, server.url, "run", prompt="x", timeout=0.3)
        elapsed = time.monotonic() - started
        assert server.submits == 1
    assert elapsed < 0.3 + 0.5
    error = caught.value
    assert (error.request_id, error.maybe_sent, error.cancelled) == (None, True, False)


def test_retry_pauses_do_not_outlive_the_timeout() -> None:
    slow = RetryPolicy(max_attempts=10, initial_delay=5, max_delay=5)
    with (
        MockServer() as server,
        Client(key=KEY, base_url=server.url, retry=slow, poll=FAST_POLL) as client,
    ):
        server.inject("status", Fault(status=503, retry_after=30), times=10)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            client.flux_lora.run(prompt="x", timeout=0.3)
    assert time.monotonic() - started < 0.3 + 0.1 + 0.5


# --- the key goes only to the base URL's origin ---------------------------------------------


class _Canary(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _any(self) -> None:
        _Canary.seen.append(
            f"{self.command} {self.path} {self.headers.get('Authorization')}"
        )
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_PUT = do_POST = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def canary() -> Iterator[str]:
    receiver = HTTPServer(("127.0.0.1", 0), _Canary)
    threading.Thread(target=receiver.serve_forever, args=(0.01,), daemon=True).start()
    _Canary.seen.clear()
    yield f"http://127.0.0.1:{receiver.server_address[1]}"
    receiver.shutdown()
    receiver.server_close()


def envelope_at(origin: str) -> dict[str, str]:
    base = f"{origin}/fal-ai/flux-lora/requests/r1"
    return {
        "request_id": "r1",
        "status_url": base + "/status",
        "response_url": base,
        "cancel_url": base + "/cancel",
    }


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("operation", ["run", "status", "result", "cancel"])
def test_envelope_urls_off_origin_are_refused_and_get_no_key(
    server: MockServer, canary: str, flavour: str, operation: str
) -> None:
    server.inject("submit", Fault(status=200, body=envelope_at(canary)))
    with pytest.raises(UntrustedURLError) as caught:
        if operation == "run":
            call(flavour, server.url, "run", prompt="x")
        else:
            handle = call(flavour, server.url, "submit", prompt="x")
            call(flavour, server.url, operation, handle)
    assert caught.value.request_id == "r1" and canary in caught.value.url
    assert _Canary.seen == []
    assert KEY not in str(caught.value)


def test_allowed_hosts_extend_the_origin(server: MockServer) -> None:
    port = server.url.rsplit(":", 1)[1]
    handle_at_localhost = envelope_at(f"http://localhost:{port}")
    server.inject("submit", Fault(status=200, body=handle_at_localhost), times=2)
    with Client(key=KEY, base_url=server.url) as client:
        refused = client.flux_lora.submit(prompt="x")
        with pytest.raises(UntrustedURLError):
            client.flux_lora.status(refused)
    with Client(key=KEY, base_url=server.url, allowed_hosts=["LOCALHOST"]) as client:
        handle = client.flux_lora.submit(prompt="x")
        with pytest.raises(NotFoundError):  # followed: the mock knows no request r1
            client.flux_lora.status(handle)
    assert server.requests[-1].path.endswith("/requests/r1/status")


# --- headers that HTTP cannot carry ------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("key", ["abc\r\nX-Injected: 1", "abc\x00", "clé"])
def test_an_unsendable_header_is_an_input_error_before_sending(
    server: MockServer, flavour: str, key: str
) -> None:
    with pytest.raises(InputValidationError) as caught:
        call(flavour, server.url, "submit", prompt="x", key=key)
    assert caught.value.fields == ["Authorization"]
    assert key not in str(caught.value) and key not in repr(vars(caught.value))
    assert server.requests == []
