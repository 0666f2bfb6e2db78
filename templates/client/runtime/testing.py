"""A fal-compatible queue server on loopback, for your tests and ours.

    with MockServer() as server:
        client = Client(key="test-key", base_url=server.url)
        client.flux_lora.run(prompt="a cat")
        assert server.requests[0].json == {...}

It speaks the queue protocol over real sockets: submit answers the envelope with URLs on its
own address; status goes IN_QUEUE -> IN_PROGRESS (with logs) -> COMPLETED (202, then 200);
result; cancel (202, 400 ALREADY_COMPLETED, 404); a body that breaks the endpoint's schema
gets 422 with fal's `{"detail": [{"loc", "msg", "type"}]}`.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pydantic

from . import models
from ._protocol import PollPolicy
from ._spec import ENDPOINTS

TEST_API_KEY = "test-key"
# Polls fast enough that a test waits milliseconds, not seconds.
FAST_POLL = PollPolicy(initial=0.001, factor=2.0, maximum=0.01)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    json: Any


@dataclass
class _Job:
    request_id: str
    endpoint_path: str
    app_id: str
    body: Any
    polls: int = 0
    cancelled: bool = False
    logs: list[dict[str, str]] = field(default_factory=list)


class MockServer:
    """Start with `with MockServer() as server:` or `start()`/`stop()`; `url` is its base URL.

    polls_in_queue / polls_in_progress: how many status polls see IN_QUEUE, then IN_PROGRESS,
    before COMPLETED. `api_key`: the key required in `Authorization: Key ...` (None accepts any).
    `results`: output per endpoint path; by default an empty object.
    """

    def __init__(
        self,
        *,
        polls_in_queue: int = 1,
        polls_in_progress: int = 1,
        api_key: str | None = None,
        results: dict[str, Any] | None = None,
    ) -> None:
        self.polls_in_queue = polls_in_queue
        self.polls_in_progress = polls_in_progress
        self.api_key = api_key
        self.results = dict(results or {})
        self.requests: list[RecordedRequest] = []
        self.jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---
    def start(self) -> MockServer:
        handler = type("Handler", (_Handler,), {"mock": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), name="mock-fal-queue", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the mock server is not running: call start() or use `with`")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def submits(self) -> int:
        """How many submits arrived (a retried submit would show here twice)."""
        with self._lock:
            return sum(1 for r in self.requests if r.method == "POST" and r.path in ENDPOINTS)

    # --- protocol ---
    def _envelope(self, job: _Job, state: str) -> dict[str, Any]:
        base = f"{self.url}/{job.app_id}/requests/{job.request_id}"
        return {
            "status": state,
            "request_id": job.request_id,
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }

    def _submit(self, path: str, body: Any) -> tuple[int, Any]:
        spec = ENDPOINTS[path]
        model: type[pydantic.BaseModel] = getattr(models, spec["input_model"])
        try:
            model.model_validate(body)
        except pydantic.ValidationError as error:
            detail = [
                {"loc": ["body", *error_item["loc"]], "msg": error_item["msg"], "type": error_item["type"]}
                for error_item in error.errors(include_url=False)
            ]
            return 422, {"detail": detail}
        job = _Job(str(uuid.uuid4()), path, spec["app_id"], body)
        with self._lock:
            self.jobs[job.request_id] = job
            position = sum(1 for other in self.jobs.values() if self._state(other) == "IN_QUEUE") - 1
        return 200, {**self._envelope(job, "IN_QUEUE"), "queue_position": max(position, 0), "logs": None, "metrics": {}}

    def _state(self, job: _Job) -> str:
        if job.cancelled or job.polls > self.polls_in_queue + self.polls_in_progress:
            return "COMPLETED"
        return "IN_QUEUE" if job.polls <= self.polls_in_queue else "IN_PROGRESS"

    def _status(self, job: _Job, with_logs: bool) -> tuple[int, Any]:
        with self._lock:
            job.polls += 1
            state = self._state(job)
            if state != "IN_QUEUE" and not job.cancelled and len(job.logs) < job.polls - self.polls_in_queue:
                job.logs.append({"message": f"step {len(job.logs) + 1}", "level": "INFO", "source": "USER", "timestamp": "2024-01-01T00:00:00Z"})
        body = self._envelope(job, state)
        if state == "IN_QUEUE":
            body["queue_position"] = 0
        else:
            body["logs"] = list(job.logs) if with_logs else None
        if state == "COMPLETED":
            body["metrics"] = {"inference_time": 0.01}
            if job.cancelled:
                body["error"], body["error_type"] = "Request was cancelled", "request_cancelled"
        return (200 if state == "COMPLETED" else 202), body

    def _result(self, job: _Job) -> tuple[int, Any]:
        state = self._state(job)
        if job.cancelled:
            return 400, {"detail": "Request was cancelled", "error_type": "request_cancelled"}
        if state != "COMPLETED":
            return 400, {"detail": "Request is still in progress"}
        return 200, self.results.get(job.endpoint_path, {})

    def _cancel(self, job: _Job | None) -> tuple[int, Any]:
        if job is None:
            return 404, {"status": "NOT_FOUND"}
        with self._lock:
            if self._state(job) == "COMPLETED":
                return 400, {"status": "ALREADY_COMPLETED"}
            job.cancelled = True
        return 202, {"status": "CANCELLATION_REQUESTED"}

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"detail": "body is not JSON"}
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, headers, body))
        if self.api_key is not None and headers.get("authorization") != f"Key {self.api_key}":
            return 401, {"detail": "Unauthorized"}
        if not headers.get("authorization", "").startswith("Key "):
            return 401, {"detail": "Authorization header is required"}
        if method == "POST" and path in ENDPOINTS:
            return self._submit(path, body)
        if "/requests/" in path:
            request_id, _, action = path.split("/requests/", 1)[1].partition("/")
            job = self.jobs.get(request_id)
            if method == "PUT" and action == "cancel":
                return self._cancel(job)
            if job is None:
                return 404, {"detail": f"Request {request_id} not found"}
            if method == "GET" and action == "status":
                logs = query.get("logs", ["0"])[-1].lower() in ("1", "true")
                return self._status(job, logs)
            if method == "GET" and action == "":
                return self._result(job)
        return 404, {"detail": f"Path {path} not found"}


class _Handler(BaseHTTPRequestHandler):
    mock: MockServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        code, body = self.mock.handle(self.command, unquote(parts.path), parse_qs(parts.query), headers, raw)
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-fal-request-id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


def main() -> None:  # pragma: no cover - manual use: python -m <package>.testing
    with MockServer() as server:
        print(f"mock queue server on {server.url} (Ctrl-C to stop)", flush=True)
        threading.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    main()
