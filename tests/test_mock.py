"""`specgen mock` and `python -m <package>.testing`: a real process, driven over HTTP, stopped with SIGINT."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from generator import mockserve
from tests.helpers import ROOT

# A small OpenAPI document of our own: two named examples for 200, a documented 404.
PETS = {
    "openapi": "3.0.1",
    "info": {"title": "pets", "version": "1.0.0"},
    "servers": [{"url": "https://pets.example"}],
    "paths": {
        "/pets/{id}": {
            "get": {
                "operationId": "getPet",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "name": {"type": "string"},
                                    },
                                    "required": ["id", "name"],
                                },
                                "examples": {
                                    "rex": {"value": {"id": 1, "name": "Rex"}},
                                    "tom": {"value": {"id": 2, "name": "Tom"}},
                                },
                            }
                        },
                    },
                    "404": {
                        "description": "Not found",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"message": {"type": "string"}},
                                },
                                "example": {"message": "no such pet"},
                            }
                        },
                    },
                },
            }
        }
    },
    # The key goes in the Authorization header as it is (the mock accepts any key).
    "components": {
        "securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "Authorization"}
        }
    },
    "security": [{"key": []}],
}
AUTH = {"Authorization": "Key any-key"}
PAGE = "http://localhost:5173"


class Served:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for(r"on (http://\S+) \(Ctrl-C to stop\)", 240).group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 10) -> re.Match[str]:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {pattern!r}; saw {seen}"
                ) from None
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=20)


def serve(args: list[str], cwd: Path) -> Iterator[Served]:
    process = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield Served(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def pets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("pets")
    (folder / "pets.openapi.json").write_text(json.dumps(PETS), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "generator",
        "mock",
        "--input",
        "pets.openapi.json",
        "--port",
        "0",
        "--seed",
        "7",
    ]
    yield from serve(command, folder)


def test_preflight_from_a_localhost_page_is_answered(pets: Served) -> None:
    answer = httpx.options(
        f"{pets.url}/pets/1",
        headers={
            "Origin": PAGE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, prefer",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == PAGE
    assert answer.headers["access-control-allow-headers"] == "authorization, prefer"
    assert "GET" in answer.headers["access-control-allow-methods"]
    assert answer.headers["vary"] == "Origin"
    pets.wait_for(r"^OPTIONS /pets/1 204 \d+\.\dms$")


def test_other_origins_get_no_cors_headers(pets: Served) -> None:
    answer = httpx.options(
        f"{pets.url}/pets/1",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "GET",
        },
    )
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers
    plain = httpx.get(
        f"{pets.url}/pets/1",
        headers={**AUTH, "Origin": "http://localhost.evil.example:80"},
    )
    assert "access-control-allow-origin" not in plain.headers


def test_documented_examples_first_and_prefer_picks_another(pets: Served) -> None:
    first = httpx.get(f"{pets.url}/pets/1", headers={**AUTH, "Origin": PAGE})
    assert (first.status_code, first.json()) == (200, {"id": 1, "name": "Rex"})
    assert first.headers["access-control-allow-origin"] == PAGE
    pets.wait_for(r"^GET /pets/1 200 \d+\.\dms$")
    second = httpx.get(f"{pets.url}/pets/1", headers={**AUTH, "Prefer": "example=2"})
    assert (second.status_code, second.json()) == (200, {"id": 2, "name": "Tom"})
    missing = httpx.get(f"{pets.url}/pets/1", headers={**AUTH, "Prefer": "code=404"})
    assert (missing.status_code, missing.json()) == (404, {"message": "no such pet"})
    by_name = httpx.get(
        f"{pets.url}/pets/1", headers={**AUTH, "Prefer": 'example="Not found"'}
    )
    assert by_name.status_code == 404
    unknown = httpx.get(f"{pets.url}/pets/1", headers={**AUTH, "Prefer": "code=418"})
    assert unknown.status_code == 400
    assert "documented: 200, 404" in unknown.json()["detail"]


def test_validation_and_auth_still_apply(pets: Served) -> None:
    invalid = httpx.get(f"{pets.url}/pets/abc", headers={**AUTH, "Prefer": "code=404"})
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"][0] == "path"
    assert httpx.get(f"{pets.url}/pets/1").status_code == 401


def test_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    (tmp_path / "pets.openapi.json").write_text(json.dumps(PETS), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "generator",
        "mock",
        "--input",
        "pets.openapi.json",
        "--port",
        "0",
        "--delay",
        "0.2",
    ]
    for served in serve(command, tmp_path):
        answer = httpx.get(f"{served.url}/pets/1", headers=AUTH)
        assert answer.status_code == 200
        milliseconds = float(served.wait_for(r"^GET /pets/1 200 (\d+\.\d)ms$").group(1))
        assert (
            milliseconds >= 200
        )  # --delay is applied (a lower bound, not a speed claim)
        assert served.stop() == 0
        served.wait_for("^mock server stopped$")
        assert served.process.stderr is not None
        assert "Traceback" not in served.process.stderr.read()


def test_the_generated_package_runs_as_a_module_with_the_same_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fal_api.testing", "--help"],
        cwd=ROOT / "generated",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "default: 4010" in result.stdout
    offered = set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) - {"--help"}
    assert offered == set(mockserve.SERVER_OPTIONS)
    ours = subprocess.run(
        [sys.executable, "-m", "generator", "mock", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert set(mockserve.SERVER_OPTIONS) <= set(
        re.findall(r"(--[a-z][a-z-]+)", ours.stdout)
    )


def test_the_queue_protocol_keeps_working_behind_cors() -> None:
    """The configured project here is fal's queue: submit, status and result through a browser's eyes."""
    command = [
        sys.executable,
        "-m",
        "fal_api.testing",
        "--port",
        "0",
        "--seed",
        "3",
        "--polls",
        "0",
    ]
    for served in serve(command, ROOT / "generated"):
        headers = {"Authorization": "Key k", "Origin": PAGE}
        submitted = httpx.post(
            f"{served.url}/fal-ai/flux-lora", json={"prompt": "a cat"}, headers=headers
        )
        assert submitted.status_code == 200
        assert submitted.headers["access-control-allow-origin"] == PAGE
        assert "x-fal-request-id" in submitted.headers["access-control-expose-headers"]
        status = httpx.get(submitted.json()["status_url"], headers=headers)
        assert status.json()["status"] == "COMPLETED"
        assert (
            httpx.get(submitted.json()["response_url"], headers=headers).status_code
            == 200
        )
        assert served.stop() == 0


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket_in_use() as port:
        result = subprocess.run(
            [sys.executable, "-m", "fal_api.testing", "--port", str(port)],
            cwd=ROOT / "generated",
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


class socket_in_use:
    def __enter__(self) -> int:
        import socket

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        return int(self.socket.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.socket.close()
