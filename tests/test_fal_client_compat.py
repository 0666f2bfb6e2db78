"""The unmodified official fal-client, sync and async, against our generated mock server.

If fal's own client works end to end against the mock, the mock speaks the real protocol (the
research notes' "Option B": fal-client's URL constants, patched to plain http on loopback).
Its uploads (`upload_file`, multipart) go to the mock's storage address the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fal_api import models
from fal_api.testing import MockServer

import tests.test_generated_client  # noqa: F401  (puts generated/ on sys.path)

fal_client = pytest.importorskip("fal_client")
import fal_client.client as fal_internals  # noqa: E402

APP = "fal-ai/flux-lora"
KEY = "test-key"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    with MockServer(polls_in_queue=1, polls_in_progress=2, api_key=KEY) as mock:
        monkeypatch.setattr(fal_internals, "QUEUE_URL_FORMAT", f"{mock.url}/")
        monkeypatch.setattr(fal_internals, "RUN_URL_FORMAT", f"{mock.url}/")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield mock


def test_sync_submit_status_result_cancel(server: MockServer) -> None:
    client = fal_client.SyncClient(key=KEY)
    handle = client.submit(APP, arguments={"prompt": "a cat", "num_images": 2})
    assert isinstance(handle.status(with_logs=True), fal_client.Queued)
    running = handle.status(with_logs=True)
    assert isinstance(running, fal_client.InProgress) and running.logs
    events = list(handle.iter_events(with_logs=True, interval=0.001))
    assert isinstance(events[-1], fal_client.Completed) and events[-1].logs
    output = handle.get()
    models.FluxLoraOutput.model_validate(output)
    with pytest.raises(
        fal_client.FalClientHTTPError
    ) as caught:  # 400 ALREADY_COMPLETED
        handle.cancel()
    assert caught.value.status_code == 400
    queued = client.submit(APP, arguments={"prompt": "a dog"})
    queued.cancel()  # 202 CANCELLATION_REQUESTED
    assert server.jobs[queued.request_id].cancelled
    assert server.requests[0].json == {"prompt": "a cat", "num_images": 2}


def test_sync_subscribe_with_updates(server: MockServer) -> None:
    updates: list[object] = []
    output = fal_client.SyncClient(key=KEY).subscribe(
        APP,
        arguments={"prompt": "a cat"},
        with_logs=True,
        interval=0.001,
        on_queue_update=updates.append,
    )
    models.FluxLoraOutput.model_validate(output)
    assert any(isinstance(update, fal_client.InProgress) for update in updates)


def test_async_submit_status_result_cancel_and_subscribe(server: MockServer) -> None:
    async def scenario() -> None:
        client = fal_client.AsyncClient(key=KEY)
        handle = await client.submit(APP, arguments={"prompt": "a cat"})
        assert isinstance(await handle.status(with_logs=True), fal_client.Queued)
        output = await handle.get()
        models.FluxLoraOutput.model_validate(output)
        queued = await client.submit(APP, arguments={"prompt": "a dog"})
        await queued.cancel()
        assert server.jobs[queued.request_id].cancelled
        subscribed = await client.subscribe(
            APP, arguments={"prompt": "a cat"}, with_logs=True, interval=0.001
        )
        models.FluxLoraOutput.model_validate(subscribed)

    asyncio.run(scenario())


def test_schema_violations_reach_fal_client_as_422(server: MockServer) -> None:
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        fal_client.SyncClient(key=KEY).submit(
            APP, arguments={"prompt": "a cat", "num_images": 9}
        )
    assert caught.value.status_code == 422
    [problem] = caught.value.message
    assert problem["loc"] == ["body", "num_images"]


@pytest.fixture
def storage(server: MockServer, monkeypatch: pytest.MonkeyPatch) -> MockServer:
    """fal-client's storage hosts (rest.fal.ai, v3.fal.media) pointed at the mock's storage."""
    monkeypatch.setattr(fal_internals, "REST_URL", server.storage_url)
    monkeypatch.setattr(fal_internals, "CDN_URL", server.storage_url)
    return server


def test_sync_upload_file_and_multipart(
    storage: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 64)
    client = fal_client.SyncClient(key=KEY)
    url = client.upload_file(photo)
    fetched = httpx.get(url)
    assert fetched.content == photo.read_bytes()
    assert fetched.headers["content-type"] == "image/png"
    monkeypatch.setattr(fal_internals, "MULTIPART_THRESHOLD", 100)
    monkeypatch.setattr(fal_internals, "MULTIPART_CHUNK_SIZE", 64)
    data = bytes(range(256)) * 2
    big = client.upload(data, "application/octet-stream", "big.bin")
    assert httpx.get(big).content == data
    assert sum(1 for r in storage.storage.requests if r.method == "PUT") == 8
    assert len(storage.storage.tokens) == 1  # fal-client caches it too


def test_async_upload(storage: MockServer) -> None:
    async def scenario() -> str:
        return await fal_client.AsyncClient(key=KEY).upload(
            b"hello", "text/plain", "a.txt"
        )

    url = asyncio.run(scenario())
    assert httpx.get(url).content == b"hello"
