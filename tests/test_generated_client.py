"""The committed client package, used as a user would, against its loopback mock server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT

sys.path.insert(0, str(ROOT / "generated"))

from fal_api import (
    Client,
    InputValidationError,
    MissingCredentialsError,
    NotFoundError,
    PollPolicy,
    RequestTimeoutError,
)
from fal_api.testing import FAST_POLL, MockServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
KEY = "sk-very-secret-key"


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(polls_in_queue=1, polls_in_progress=1) as mock:
        yield mock


@pytest.fixture
def client(server: MockServer) -> Iterator[Client]:
    with Client(key=KEY, base_url=server.url, poll=FAST_POLL) as c:
        yield c


def test_bad_value_names_field_and_constraint(
    client: Client, server: MockServer
) -> None:
    with pytest.raises(InputValidationError) as caught:
        client.flux_lora.submit(prompt="x", num_images=9, output_format="gif")  # type: ignore[arg-type]
    text = str(caught.value)
    assert "num_images" in text and "[maximum]" in text
    assert "output_format" in text and "[enum]" in text
    assert server.requests == []


def test_local_file_and_bytes_become_data_uris(
    client: Client, server: MockServer, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(PNG)
    client.flux_pro_kontext.submit(prompt="x", image_url=image)
    client.flux_pro_kontext.submit(prompt="x", image_url=PNG)
    for request in server.requests:
        assert request.json["image_url"].startswith("data:image/png;base64,")


def test_file_types_the_docs_do_not_accept_are_refused(
    client: Client, server: MockServer, tmp_path: Path
) -> None:
    document = tmp_path / "scan.pdf"
    document.write_bytes(b"%PDF-1.7")
    for value in (
        document,
        b"%PDF-1.7",
        "https://example.com/scan.pdf",
        "data:application/pdf;base64,JVBERg==",
    ):
        with pytest.raises(InputValidationError) as caught:
            client.flux_pro_kontext.submit(prompt="x", image_url=value)
        assert caught.value.problems[0].constraint == "file_type"
    assert server.requests == []


def test_the_key_never_shows(server: MockServer) -> None:
    client = Client(key=KEY, base_url=server.url)
    assert (
        KEY not in repr(client)
        and KEY not in repr(client._settings)
        and KEY not in repr(client._key)
    )
    with pytest.raises(NotFoundError) as caught:
        client.flux_lora.status("no-such-request")
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert server.requests[-1].headers["authorization"] == f"Key {KEY}"


def test_key_and_base_url_from_the_environment(
    server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FAL_KEY", raising=False)
    with pytest.raises(MissingCredentialsError, match="FAL_KEY"):
        Client()
    monkeypatch.setenv("FAL_KEY", KEY)
    monkeypatch.setenv("FAL_BASE_URL", server.url)
    with Client() as client:
        assert client.base_url == server.url
        client.flux_lora.submit(prompt="x")
    assert server.submits == 1


def test_run_timeout_cancels_and_raises_with_the_request_id() -> None:
    with (
        MockServer(polls_in_queue=10_000) as server,
        Client(
            key=KEY, base_url=server.url, poll=PollPolicy(0.01, 1.0, 0.01)
        ) as client,
    ):
        with pytest.raises(RequestTimeoutError) as caught:
            client.flux_lora.run(prompt="x", timeout=0.2)
        [job] = server.jobs.values()
        assert caught.value.request_id == job.request_id
        assert job.cancelled
        assert server.requests[-1].method == "PUT"


def test_generated_package_passes_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "fal_api"],
        cwd=ROOT / "generated",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
