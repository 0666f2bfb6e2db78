"""The fal client beyond fal-client, sync and async, against the real mock server: uploads to
storage, queue controls, result metadata and typed service errors, signed webhooks, handles,
bounded concurrency and the raw escape hatch."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

# isort: off
import tests.test_generated_client  # noqa: F401  (puts generated/ on sys.path first)
from fal_api import (
    JWKS,
    AsyncClient,
    AsyncHandle,
    Client,
    Completed,
    Handle,
    InProgress,
    InputValidationError,
    MissingDependencyError,
    NotReadyError,
    Queued,
    ReplayGuard,
    RequestFailedError,
    RetryPolicy,
    RunnerDisconnectedError,
    RunnerError,
    ServerError,
    ServiceRequestTimeoutError,
    StartTimeoutError,
    StoragePolicy,
    UploadError,
    ValidationError,
    WebhookHeaderError,
    WebhookReplayError,
    WebhookSignatureError,
    WebhookTimestampError,
    models,
    verify_webhook,
)
from fal_api.testing import FAST_POLL, Fault, MockServer

# isort: on


KEY = "sk-feature-key-71c2"
FAST_RETRY = RetryPolicy(max_attempts=3, initial_delay=0.001, max_delay=0.05)
FLAVOURS = ["sync", "async"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(polls_in_queue=1, polls_in_progress=1) as mock:
        yield mock


def options(server: MockServer, **more: Any) -> dict[str, Any]:
    return {
        "key": KEY,
        "base_url": server.url,
        "rest_url": server.storage_url,
        "retry": FAST_RETRY,
        "poll": FAST_POLL,
        **more,
    }


def use(flavour: str, server: MockServer, scenario: Any, **more: Any) -> Any:
    """scenario(client) with a fresh Client, or awaited with a fresh AsyncClient."""
    if flavour == "sync":
        with Client(**options(server, **more)) as client:
            return scenario(client)

    async def run() -> Any:
        async with AsyncClient(**options(server, **more)) as client:
            return await scenario(client)

    return asyncio.run(run())


async def resolved(value: Any) -> Any:
    """A sync call's value, or an async call's awaited: one scenario serves both clients."""
    return await value if asyncio.iscoroutine(value) else value


def _run(flavour: str, server: MockServer, scenario: Any, **more: Any) -> Any:
    """`async def scenario(client)` with a Client (run in a loop) or an AsyncClient."""
    if flavour == "sync":
        with Client(**options(server, **more)) as client:
            return asyncio.run(scenario(client))
    return use(flavour, server, scenario, **more)


# --- 1. uploads to fal storage ------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_upload_goes_to_the_tokens_base_url_and_the_token_is_cached(
    server: MockServer, flavour: str, tmp_path: Path
) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(PNG)

    def sync(client: Client) -> list[str]:
        return [
            client.upload(b"hello", file_name="a.txt"),
            client.upload_file(photo),
            client.upload(photo),
        ]

    async def asynchronous(client: AsyncClient) -> list[str]:
        return [
            await client.upload(b"hello", file_name="a.txt"),
            await client.upload_file(photo),
            await client.upload(photo),
        ]

    urls = use(flavour, server, sync if flavour == "sync" else asynchronous)
    assert all(url.startswith(server.storage_url + "/files/") for url in urls)
    assert httpx.get(urls[0]).content == b"hello"
    for url in urls[1:]:
        fetched = httpx.get(url)
        assert fetched.content == PNG and fetched.headers["content-type"] == "image/png"
        assert url.endswith("/cat.png")
    assert len(server.storage.tokens) == 1  # cached between the uploads
    uploads = [r for r in server.storage.requests if r.path == "/files/upload"]
    assert uploads[0].headers["authorization"] == f"Bearer {server.storage.tokens[0]}"
    assert all(KEY not in r.headers.get("authorization", "") for r in uploads)
    assert uploads[0].headers["x-fal-file-name"] == "a.txt"


def test_an_expiring_token_is_renewed() -> None:
    with (
        MockServer(token_ttl=5.0) as server,
        Client(**options(server)) as client,
    ):  # 5 s is inside the renewal margin: every upload needs a new token
        client.upload(b"one")
        client.upload(b"two")
    assert len(server.storage.tokens) == 2


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_big_files_go_up_in_parallel_parts_with_etags(
    server: MockServer, flavour: str
) -> None:
    data = bytes(range(256)) * 4  # 1024 bytes: 4 parts of 256
    storage = StoragePolicy(multipart_threshold=500, chunk_size=256, parallel_parts=4)
    server.inject("part", Fault(delay=0.2), times=4)

    def sync(client: Client) -> str:
        return client.upload(data, file_name="big.bin")

    async def asynchronous(client: AsyncClient) -> str:
        return await client.upload(data, file_name="big.bin")

    url = use(
        flavour,
        server,
        sync if flavour == "sync" else asynchronous,
        storage=storage,
    )
    assert httpx.get(url).content == data
    parts = [r for r in server.storage.requests if "/multipart/" in r.path]
    assert [r.method for r in parts].count("PUT") == 4
    assert parts[-1].path.endswith("/complete")
    listing = json.loads(parts[-1].body)["parts"]
    assert [p["partNumber"] for p in listing] == [1, 2, 3, 4]
    assert all(p["etag"] for p in listing)
    assert server.max_overlap > 1  # the parts were in flight together


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_failing_cdn_falls_back_to_the_storage_repository(
    server: MockServer, flavour: str
) -> None:
    server.inject("upload", Fault(status=500, body={"detail": "CDN down"}))
    lifecycle = StoragePolicy(lifecycle={"expiration_duration_seconds": 3600})

    def sync(client: Client) -> str:
        return client.upload(b"fallback bytes", "text/plain", "f.txt")

    async def asynchronous(client: AsyncClient) -> str:
        return await client.upload(b"fallback bytes", "text/plain", "f.txt")

    scenario = sync if flavour == "sync" else asynchronous
    url = use(flavour, server, scenario, storage=lifecycle)
    assert httpx.get(url).content == b"fallback bytes"
    cdn, initiate, put = server.storage.requests[1:4]  # after the token
    assert (
        cdn.headers["x-fal-object-lifecycle"] == '{"expiration_duration_seconds":3600}'
    )
    preference = json.loads(initiate.headers["x-fal-object-lifecycle-preference"])
    assert initiate.path == "/storage/upload/initiate"
    assert preference == {"expiration_duration_seconds": 3600}
    assert put.path.startswith("/uploads/")
    # the signed URL gets the bytes, not the key
    assert "authorization" not in put.headers


def test_both_repositories_failing_is_one_upload_error(server: MockServer) -> None:
    server.inject("upload", Fault(status=500, body={"detail": "CDN down"}))
    server.inject("initiate", Fault(status=500, body={"detail": "storage down"}))
    with Client(**options(server)) as client, pytest.raises(UploadError) as caught:
        client.upload(b"x")
    assert "CDN down" in str(caught.value) and "storage down" in str(caught.value)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_file_inputs_above_the_inline_limit_are_uploaded(
    server: MockServer, flavour: str, tmp_path: Path
) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(PNG)

    async def scenario(client: Any) -> None:
        await resolved(client.flux_pro_kontext.submit(prompt="x", image_url=photo))
        await resolved(client.flux_pro_kontext.submit(prompt="x", image_url=PNG[:20]))
        with pytest.raises(InputValidationError):  # the refused-type check stays
            await resolved(
                client.flux_pro_kontext.submit(prompt="x", image_url=b"%PDF-" + PNG)
            )

    _run(flavour, server, scenario, inline_files_up_to=32)
    first, second = [r.json["image_url"] for r in server.requests if r.json]
    assert first.startswith(server.storage_url + "/files/") and first.endswith(".png")
    assert httpx.get(first).content == PNG
    assert second.startswith("data:image/png;base64,")  # 20 bytes: inline


# --- 2. queue controls ----------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_queue_controls_become_headers_the_mock_records(
    server: MockServer, flavour: str
) -> None:
    async def scenario(client: Any) -> Any:
        return await resolved(
            client.flux_lora.submit(
                prompt="x",
                priority="low",
                hint="lora:a",
                start_timeout=30,
                headers={"x-fal-no-retry": "1"},
            )
        )

    handle = _run(flavour, server, scenario)
    job = server.jobs[handle.request_id]
    assert (job.priority, job.hint, job.start_timeout) == ("low", "lora:a", 30.0)
    assert job.headers["x-fal-request-timeout"] == "30.0"
    assert job.headers["x-fal-no-retry"] == "1"
    assert job.headers["authorization"] == f"Key {KEY}"


@pytest.mark.parametrize("controls", [{"priority": "urgent"}, {"start_timeout": 0.05}])
def test_bad_queue_controls_are_refused_before_sending(
    server: MockServer, controls: dict[str, Any]
) -> None:
    with Client(**options(server)) as client, pytest.raises(InputValidationError):
        client.flux_lora.submit(prompt="x", **controls)
    assert server.requests == []


def test_low_priority_waits_behind_normal() -> None:
    with (
        MockServer(polls_in_queue=1, polls_in_progress=1) as server,
        Client(**options(server)) as client,
    ):
        low = client.flux_lora.submit(prompt="x", priority="low")
        normal = client.flux_lora.submit(prompt="y")
        assert normal.status() == Queued(normal.request_id, 0)
        for _ in range(3):  # held in the queue while the normal one waits
            assert low.status() == Queued(low.request_id, 1)
        normal.wait()
        assert isinstance(low.wait(), Completed)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_start_timeout_is_a_typed_start_timeout_error(flavour: str) -> None:
    with MockServer(polls_in_queue=10**6) as server:

        async def scenario(client: Any) -> None:
            await resolved(client.flux_lora.run(prompt="x", start_timeout=0.2))

        with pytest.raises(StartTimeoutError) as caught:
            _run(flavour, server, scenario)
    error = caught.value
    assert isinstance(error, ServiceRequestTimeoutError) and isinstance(
        error, TimeoutError
    )
    assert error.status_code == 504 and error.error_type == "request_timeout"
    assert error.retryable is False and error.request_id in server.jobs


# --- 3. cost and ids on results; typed service errors -----------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_response_carries_request_id_billable_units_and_metrics(flavour: str) -> None:
    with MockServer(billable_units=2.5) as server:

        async def scenario(client: Any) -> Any:
            handle = await resolved(client.flux_lora.submit(prompt="x"))
            return handle, await resolved(handle.response())

        handle, response = _run(flavour, server, scenario)
    assert isinstance(response.output, models.FluxLoraOutput)
    assert response.request_id == handle.request_id
    assert response.billable_units == 2.5
    assert response.metrics["inference_time"] == 0.01


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_runner_failures_are_typed_and_say_whether_to_retry(flavour: str) -> None:
    with MockServer(
        fail_requests=("Runner disconnected", "runner_disconnected")
    ) as server:

        async def scenario(client: Any) -> None:
            await resolved(client.flux_lora.run(prompt="x"))

        with pytest.raises(RunnerDisconnectedError) as caught:
            _run(flavour, server, scenario)
    error = caught.value
    assert isinstance(error, RunnerError) and isinstance(error, ServerError)
    assert isinstance(error, RequestFailedError)
    assert error.error_type == "runner_disconnected" and error.retryable is True
    assert error.error == "Runner disconnected"


def test_error_type_and_retryable_come_from_the_headers(server: MockServer) -> None:
    server.inject(
        "submit",
        Fault(
            status=503,
            body={"detail": "no runner"},
            headers={
                "X-Fal-Error-Type": "runner_scheduling_failure",
                "X-Fal-Retryable": "true",
            },
        ),
        times=FAST_RETRY.max_attempts,
    )
    with Client(**options(server)) as client, pytest.raises(RunnerError) as caught:
        client.flux_lora.submit(prompt="x")
    assert caught.value.error_type == "runner_scheduling_failure"
    assert caught.value.retryable is True


# --- 4. signed webhooks ----------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    arrived = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        type(self).arrived.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def delivery(server: MockServer) -> tuple[dict[str, str], bytes]:
    """A real signed delivery, as it reached a receiver on loopback."""
    _Receiver.got, _Receiver.arrived = [], threading.Event()
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with Client(**options(server)) as client:
            hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
            client.flux_lora.submit(prompt="x", webhook_url=hook).wait()
        assert _Receiver.arrived.wait(5)
    finally:
        receiver.shutdown()
        receiver.server_close()
    return _Receiver.got[0]


def test_a_signed_delivery_verifies_and_parses_typed(
    server: MockServer, delivery: tuple[dict[str, str], bytes]
) -> None:
    headers, body = delivery
    keys = JWKS(server.jwks_url)
    with Client(**options(server)) as client:
        payload = client.flux_lora.verify_webhook(headers, body, jwks=keys)
    assert payload.ok and isinstance(payload.payload, models.FluxLoraOutput)
    plain = verify_webhook(headers, body, jwks=keys, replay=None)
    assert plain.request_id == payload.request_id and isinstance(plain.payload, dict)
    assert [r.path for r in server.storage.requests].count(
        "/.well-known/jwks.json"
    ) == 1


def test_tampering_a_wrong_key_an_old_timestamp_and_a_replay_all_fail(
    server: MockServer, delivery: tuple[dict[str, str], bytes]
) -> None:
    headers, body = delivery
    keys = server.jwks
    guard = ReplayGuard()
    with pytest.raises(WebhookSignatureError):
        verify_webhook(headers, body.replace(b'"OK"', b'"ER"'), jwks=keys, replay=guard)
    with MockServer() as stranger:  # another signer's key
        forged = stranger.sign_webhook(body, headers["X-Fal-Webhook-Request-Id"])
    with pytest.raises(WebhookSignatureError):
        verify_webhook(forged, body, jwks=keys, replay=guard)
    old = server.sign_webhook(
        body, headers["X-Fal-Webhook-Request-Id"], timestamp=int(time.time()) - 3600
    )
    with pytest.raises(WebhookTimestampError):
        verify_webhook(old, body, jwks=keys, replay=guard)
    missing = {k: v for k, v in headers.items() if k != "X-Fal-Webhook-Signature"}
    with pytest.raises(WebhookHeaderError):
        verify_webhook(missing, body, jwks=keys, replay=guard)
    verify_webhook(headers, body, jwks=keys, replay=guard)
    with pytest.raises(WebhookReplayError):
        verify_webhook(headers, body, jwks=keys, replay=guard)


def test_without_cryptography_verification_says_what_to_install(
    server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric", None)
    with pytest.raises(MissingDependencyError, match="pip install cryptography"):
        verify_webhook({}, b"{}", jwks=server.jwks)


# --- 5. handles and waiting ----------------------------------------------------------------


def test_sync_handle_status_events_result_and_cancel(server: MockServer) -> None:
    with Client(**options(server)) as client:
        handle = client.flux_lora.submit(prompt="x")
        assert isinstance(handle, Handle)
        assert isinstance(handle.status(), Queued)
        with pytest.raises(
            NotReadyError
        ) as caught:  # running: typed, not a bare APIError
            client.flux_lora.result(handle)
        assert isinstance(caught.value.status, InProgress)
        events = list(handle.iter_events())
        assert isinstance(events[-1], Completed)
        assert isinstance(handle.result(), models.FluxLoraOutput)
        assert handle.cancel() == "ALREADY_COMPLETED"
        other = client.flux_lora.submit(prompt="y")
        assert isinstance(other.result(), models.FluxLoraOutput)  # waits by default
        queued = client.flux_lora.submit(prompt="z")
        with pytest.raises(NotReadyError):
            queued.result(wait=False)
        assert queued.cancel() == "CANCELLATION_REQUESTED"


def test_async_handle_status_events_result_and_cancel(server: MockServer) -> None:
    async def scenario() -> None:
        async with AsyncClient(**options(server)) as client:
            handle = await client.flux_lora.submit(prompt="x")
            assert isinstance(handle, AsyncHandle)
            assert isinstance(await handle.status(), Queued)
            with pytest.raises(NotReadyError):
                await handle.result(wait=False)
            events = [event async for event in handle.iter_events()]
            assert isinstance(events[-1], Completed)
            assert isinstance(await handle.result(), models.FluxLoraOutput)
            queued = await client.flux_lora.submit(prompt="z")
            assert await queued.cancel() == "CANCELLATION_REQUESTED"
            with pytest.raises(RequestFailedError):
                await queued.result()

    asyncio.run(scenario())


# --- 6. concurrency ----------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("limit", [2, None])
def test_max_concurrency_bounds_the_calls_in_flight(
    server: MockServer, flavour: str, limit: int | None
) -> None:
    server.inject("submit", Fault(delay=0.1), times=6)
    if flavour == "sync":
        with Client(**options(server, max_concurrency=limit)) as client:
            threads = [
                threading.Thread(target=client.flux_lora.run, kwargs={"prompt": "x"})
                for _ in range(6)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    else:

        async def scenario(client: AsyncClient) -> None:
            await asyncio.gather(*(client.flux_lora.run(prompt="x") for _ in range(6)))

        use(flavour, server, scenario, max_concurrency=limit)
    assert len(server.jobs) == 6
    if limit is None:
        assert server.max_overlap > 2  # the control: unbounded, they overlap
    else:
        assert server.max_overlap <= limit


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_concurrency_limit_429_backs_off_and_keeps_the_request(
    server: MockServer, flavour: str
) -> None:
    limited = Fault(status=429, retry_after=0.01, body={"detail": "concurrency limit"})
    server.inject("submit", limited, times=2)
    server.inject("status", limited, times=FAST_RETRY.max_attempts + 2)

    async def scenario(client: Any) -> Any:
        return await resolved(client.flux_lora.run(prompt="x"))

    assert isinstance(_run(flavour, server, scenario), models.FluxLoraOutput)
    assert server.submits == 3 and len(server.jobs) == 1


# --- 7. the escape hatch --------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_raw_calls_any_app_untyped_with_the_same_errors(
    server: MockServer, flavour: str
) -> None:
    async def scenario(client: Any) -> Any:
        raw = client.raw
        output = await resolved(raw.run("fal-ai/flux-lora", {"prompt": "x"}))
        handle = await resolved(
            raw.submit(
                "fal-ai/flux-lora/inpainting",
                {
                    "prompt": "x",
                    "image_url": "https://e.x/a.png",
                    "mask_url": "https://e.x/m.png",
                },
            )
        )
        status = await resolved(
            raw.status("fal-ai/flux-lora/inpainting", handle.request_id)
        )
        cancelled = await resolved(
            raw.cancel("fal-ai/flux-lora/inpainting", handle.request_id)
        )
        with pytest.raises(ValidationError):  # not checked here, refused by the server
            await resolved(
                raw.submit("fal-ai/flux-lora", {"prompt": "x", "num_images": 9})
            )
        return output, status, cancelled

    output, status, cancelled = _run(flavour, server, scenario)
    assert isinstance(output, dict) and "images" in output
    assert isinstance(status, Queued) and cancelled == "CANCELLATION_REQUESTED"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_extra_body_and_validate_false(server: MockServer, flavour: str) -> None:
    async def scenario(client: Any) -> None:
        await resolved(client.flux_lora.submit(prompt="x", extra_body={"new_field": 7}))
        with pytest.raises(ValidationError):  # sent as given; the server refuses it
            await resolved(
                client.flux_lora.submit(prompt="x", num_images=9, validate=False)
            )

    _run(flavour, server, scenario)
    first, second = [r.json for r in server.requests if r.method == "POST"]
    assert first["new_field"] == 7 and first["prompt"] == "x"
    assert second["num_images"] == 9
