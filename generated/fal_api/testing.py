"""A fal-compatible queue server on loopback, for your tests and ours.

    with MockServer() as server:
        client = Client(key=TEST_API_KEY, base_url=server.url)
        client.flux_lora.run(prompt="a cat")
        assert server.requests[0].json == {...}

It speaks the queue protocol over real sockets, as the service does: submit answers 200 with the
envelope (URLs on the mock's own address); status goes IN_QUEUE -> IN_PROGRESS (with logs) ->
COMPLETED, 202 then 200; `.../status/stream` is the same as server-sent events; result answers
the output (built from the output schema, or what `results` says); cancel answers 202
CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED or 404; a body that breaks the schema gets 422
with `{"detail": [{"loc", "msg", "type"}]}`. Every response carries `x-fal-request-id`.

Faults are scripted per operation ("submit", "status", "result", "cancel", "stream"):
`server.inject("status", Fault(status=429, retry_after=0.1), times=2)`.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pydantic

from . import models
from ._auth import SCHEMES, wire_value
from ._meta import AUTH_SCHEME
from ._protocol import PollPolicy
from ._sample import sample
from ._spec import ENDPOINTS, ROUTES

TEST_API_KEY = "test-key"
# Polls fast enough that a test waits milliseconds, not seconds.
FAST_POLL = PollPolicy(initial=0.001, factor=2.0, maximum=0.01)
OPERATIONS = ("submit", "status", "result", "cancel", "stream")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    json: Any  # the body parsed as JSON, when it is JSON
    body: bytes = b""

    @property
    def form(self) -> dict[str, str]:
        """An urlencoded body's fields (last value of each)."""
        return {
            key: values[-1]
            for key, values in parse_qs(
                self.body.decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour: an error status, a dropped connection, or a slow answer."""

    status: int | None = None  # answer this status instead of the real one
    body: Any = None  # with this body (default: fal's flat error body)
    retry_after: float | None = None  # and this Retry-After header
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # wait this long first (then answer normally unless status/drop)
    with_request_id: bool = (
        True  # without x-fal-request-id a 5xx looks like an ingress error
    )


@dataclass
class _Job:
    request_id: str
    endpoint_path: str
    app_id: str
    body: Any
    webhook: str | None = None
    polls: int = 0
    cancelled: bool = False
    failure: tuple[int, Any] | None = None
    delivered: bool = False
    logs: list[dict[str, str]] = field(default_factory=list)


class MockServer:
    """Start with `with MockServer() as server:` or `start()`/`stop()`; `url` is its base URL.

    polls_in_queue / polls_in_progress: how many status polls see IN_QUEUE, then IN_PROGRESS,
    before COMPLETED. `api_key`: the key required in `Authorization: Key ...` (None accepts any).
    `results`: output per endpoint path (default: built from the output schema).
    `fail_requests`: every request completes with this (error, error_type).
    """

    def __init__(
        self,
        *,
        polls_in_queue: int = 1,
        polls_in_progress: int = 1,
        api_key: str | None = None,
        results: dict[str, Any] | None = None,
        fail_requests: tuple[str, str] | None = None,
        stream_interval: float = 0.01,
    ) -> None:
        self.polls_in_queue = polls_in_queue
        self.polls_in_progress = polls_in_progress
        self.api_key = api_key
        self.results = dict(results or {})
        self.fail_requests = fail_requests
        self.stream_interval = stream_interval
        self.requests: list[RecordedRequest] = []
        self.jobs: dict[str, _Job] = {}
        self.webhook_deliveries: list[tuple[str, Any]] = []
        self._faults: dict[str, deque[Fault]] = {op: deque() for op in OPERATIONS}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> MockServer:
        handler = type("Handler", (_Handler,), {"mock": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.01,),
            name="mock-fal-queue",
            daemon=True,
        ).start()
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
            raise RuntimeError(
                "the mock server is not running: call start() or use `with`"
            )
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- what tests ask for ------------------------------------------------------------
    def inject(self, operation: str, fault: Fault, times: int = 1) -> None:
        """The next `times` calls of `operation` misbehave as `fault` says."""
        if operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {OPERATIONS}")
        with self._lock:
            self._faults[operation].extend([fault] * times)

    @property
    def submits(self) -> int:
        """How many submits arrived (a retried submit shows here twice)."""
        with self._lock:
            return sum(
                1 for r in self.requests if r.method == "POST" and r.path in ENDPOINTS
            )

    def _next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            queue = self._faults[operation]
            return queue.popleft() if queue else None

    # --- the protocol ------------------------------------------------------------------
    def _envelope(self, job: _Job, state: str) -> dict[str, Any]:
        base = f"{self.url}/{job.app_id}/requests/{job.request_id}"
        return {
            "status": state,
            "request_id": job.request_id,
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }

    def _submit(
        self, path: str, body: Any, webhook: str | None
    ) -> tuple[int, Any, str | None]:
        spec = ENDPOINTS[path]
        model: type[pydantic.BaseModel] = getattr(models, spec["input_model"])
        try:
            model.model_validate(body)
        except pydantic.ValidationError as error:
            detail = [
                {
                    "loc": ["body", *item["loc"]],
                    "msg": item["msg"],
                    "type": item["type"],
                }
                for item in error.errors(include_url=False)
            ]
            return 422, {"detail": detail}, None
        job = _Job(str(uuid.uuid4()), path, spec["app_id"], body, webhook)
        if self.fail_requests is not None:
            job.failure = (
                500,
                {"detail": self.fail_requests[0], "error_type": self.fail_requests[1]},
            )
        with self._lock:
            ahead = sum(
                1 for other in self.jobs.values() if self._state(other) == "IN_QUEUE"
            )
            self.jobs[job.request_id] = job
        envelope = {
            **self._envelope(job, "IN_QUEUE"),
            "gateway_request_id": job.request_id,
        }
        return (
            200,
            {**envelope, "queue_position": ahead, "logs": None, "metrics": {}},
            job.request_id,
        )

    def _state(self, job: _Job) -> str:
        if job.cancelled or job.polls > self.polls_in_queue + self.polls_in_progress:
            return "COMPLETED"
        return "IN_QUEUE" if job.polls <= self.polls_in_queue else "IN_PROGRESS"

    def _advance(self, job: _Job) -> str:
        """One poll's worth of progress: a new log line while running."""
        with self._lock:
            job.polls += 1
            state = self._state(job)
            if state == "IN_PROGRESS" or (
                state == "COMPLETED" and not job.cancelled and not job.logs
            ):
                job.logs.append(
                    {
                        "message": f"step {len(job.logs) + 1}",
                        "level": "INFO",
                        "source": "USER",
                        "timestamp": "2024-01-01T00:00:00Z",
                    }
                )
        if state == "COMPLETED":
            self._deliver_webhook(job)
        return state

    def _status_body(self, job: _Job, state: str, with_logs: bool) -> dict[str, Any]:
        body = self._envelope(job, state)
        if state == "IN_QUEUE":
            body["queue_position"] = 0
        else:
            body["logs"] = list(job.logs) if with_logs else None
        if state == "COMPLETED":
            body["metrics"] = {"inference_time": 0.01}
            error = self._error_of(job)
            if error is not None:
                body["error"], body["error_type"] = (
                    error[1]["detail"],
                    error[1]["error_type"],
                )
        return body

    def _error_of(self, job: _Job) -> tuple[int, Any] | None:
        if job.cancelled:
            return 400, {
                "detail": "Request was cancelled",
                "error_type": "request_cancelled",
            }
        return job.failure

    def _output(self, job: _Job) -> Any:
        if job.endpoint_path in self.results:
            return self.results[job.endpoint_path]
        schema = ENDPOINTS[job.endpoint_path]["output_schema"]
        return sample(schema) if schema is not None else {}

    def _result(self, job: _Job) -> tuple[int, Any]:
        error = self._error_of(job)
        if error is not None:
            return error
        if self._state(job) != "COMPLETED":
            return 400, {"detail": "Request is still in progress"}
        return 200, self._output(job)

    def _cancel(self, job: _Job | None) -> tuple[int, Any]:
        if job is None:
            return 404, {"status": "NOT_FOUND"}
        with self._lock:
            if self._state(job) == "COMPLETED":
                return 400, {"status": "ALREADY_COMPLETED"}
            job.cancelled = True
        self._deliver_webhook(job)
        return 202, {"status": "CANCELLATION_REQUESTED"}

    def _deliver_webhook(self, job: _Job) -> None:
        """POST the finished request to its webhook, on loopback only (never the internet)."""
        with self._lock:
            if job.webhook is None or job.delivered:
                return
            job.delivered = True
        error = self._error_of(job)
        payload: dict[str, Any] = {
            "request_id": job.request_id,
            "gateway_request_id": job.request_id,
        }
        if error is None:
            payload.update(status="OK", payload=self._output(job), error=None)
        else:
            payload.update(
                status="ERROR",
                payload=error[1],
                error=f"Invalid status code: {error[0]}",
            )
        self.webhook_deliveries.append((job.webhook, payload))
        if urlsplit(job.webhook).hostname in LOOPBACK:
            threading.Thread(
                target=_post_json, args=(job.webhook, payload), daemon=True
            ).start()

    def route(self, method: str, path: str) -> tuple[str, Any]:
        """(operation, job or plain routes) for a request, before any fault or answer."""
        if method == "POST" and path in ENDPOINTS:
            return "submit", None
        # Docs may describe one method and path twice: every matching route gets its chance.
        matches = [
            (route, match)
            for route in ROUTES
            if route["method"] == method and (match := re.match(route["pattern"], path))
        ]
        if matches:
            return "plain", matches
        if "/requests/" in path:
            request_id, _, action = path.split("/requests/", 1)[1].partition("/")
            job = self.jobs.get(request_id)
            operation = {
                ("PUT", "cancel"): "cancel",
                ("GET", "status"): "status",
                ("GET", "status/stream"): "stream",
                ("GET", ""): "result",
            }.get((method, action), "unknown")
            return operation, job
        return "unknown", None

    def _plain(
        self,
        route: dict[str, Any],
        match: re.Match[str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
        raw: bytes,
    ) -> tuple[int, Any, str]:
        """A plain endpoint: validate the parameters and the body, answer as documented."""
        names = re.findall(r"\{([^}]*)\}", route["path"])
        path_values = {
            name: unquote(match.group(f"p{index}")) for index, name in enumerate(names)
        }
        cookies = dict(
            part.strip().split("=", 1)
            for part in headers.get("cookie", "").split(";")
            if "=" in part
        )
        found: dict[str, Any] = {}
        arrays = _array_fields(route["params_model"])
        for py_name, wire, location in route["params"]:
            if location == "query" and wire in query:
                # repeated keys make an array; text is fine, pydantic's lax mode reads "1" as 1
                found[py_name] = query[wire] if py_name in arrays else query[wire][-1]
                continue
            source = {"path": path_values, "header": headers, "cookie": cookies}.get(
                location, {}
            )
            key = wire.lower() if location == "header" else wire
            if key in source:
                found[py_name] = source[key]
        detail = _problems(route["params_model"], found, "query")
        if route["encoding"] == "form":
            body = {
                key: values[-1]
                for key, values in parse_qs(
                    raw.decode("utf-8", "replace"), keep_blank_values=True
                ).items()
            }
        if route["encoding"] in ("json", "form") and route["input_model"]:
            detail += _problems(route["input_model"], body, "body")
        if detail:
            return 422, {"detail": detail}, "application/json"
        answer = route["answer"]
        return answer["code"], answer["body"], answer["content_type"]

    def record(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> Any:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method,
                    path,
                    query,
                    headers,
                    body if _is_json(headers, raw) else None,
                    raw,
                )
            )
        return body

    def satisfied(
        self,
        route: dict[str, Any],
        headers: dict[str, str],
        query: dict[str, list[str]],
    ) -> bool:
        """Whether the request carries what the operation's security requires: every scheme
        of one alternative, each where its scheme says (and equal to `api_key` when set; a
        parameter of the operation with the same name only needs to be there)."""
        security = route["security"]
        if not security:
            return True
        own = {(location, wire.lower()) for _, wire, location in route["params"]}
        cookies = dict(
            part.strip().split("=", 1)
            for part in headers.get("cookie", "").split(";")
            if "=" in part
        )

        def sent(ident: str) -> bool:
            scheme = SCHEMES[ident]
            values = query.get(scheme.name) or []
            value = {
                "header": headers.get(scheme.name.lower()),
                "query": values[-1] if values else None,
                "cookie": cookies.get(scheme.name),
            }[scheme.location]
            if value is None:
                return False
            if (scheme.location, scheme.name.lower()) in own:
                return True
            if scheme.location == "cookie":
                value = unquote(value)
            if self.api_key is not None:
                return value == wire_value(scheme, self.api_key)
            return not scheme.prefix or value.startswith(scheme.prefix + " ")

        return any(
            all(sent(ident) for ident in alternative) for alternative in security
        )

    def authorized(self, headers: dict[str, str]) -> bool:
        if not AUTH_SCHEME:
            return True  # no configured scheme: the queue endpoints take no credentials
        given = headers.get("authorization", "")
        return given.startswith(f"{AUTH_SCHEME} ") and (
            self.api_key is None or given == f"{AUTH_SCHEME} {self.api_key}"
        )


def _is_json(headers: dict[str, str], raw: bytes) -> bool:
    return bool(raw) and (
        "json" in headers.get("content-type", "") or raw[:1] in (b"{", b"[")
    )


def _array_fields(model_name: str | None) -> set[str]:
    if model_name is None:
        return set()
    properties = getattr(models, model_name).model_json_schema().get("properties", {})
    return {
        name
        for name, prop in properties.items()
        if prop.get("type") == "array" or "array" in str(prop.get("anyOf", ""))
    }


def _problems(model_name: str | None, values: Any, where: str) -> list[dict[str, Any]]:
    if model_name is None:
        return []
    model: type[pydantic.BaseModel] = getattr(models, model_name)
    try:
        model.model_validate(values)
    except pydantic.ValidationError as error:
        return [
            {"loc": [where, *item["loc"]], "msg": item["msg"], "type": item["type"]}
            for item in error.errors(include_url=False)
        ]
    return []


def _post_json(url: str, payload: Any) -> None:
    request = urllib.request.Request(
        url,
        json.dumps(payload).encode(),
        {"Content-Type": "application/json"},
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=5).close()
    except OSError:
        pass  # a webhook receiver that is gone is the receiver's problem, as with the real service


class _Server(ThreadingHTTPServer):
    request_queue_size = (
        256  # many clients in flight must not overflow the listen backlog
    )
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    mock: MockServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        mock = self.mock
        body = mock.record(self.command, path, query, headers, raw)
        operation, job = mock.route(self.command, path)
        if operation == "plain":
            if not any(mock.satisfied(route, headers, query) for route, _ in job):
                return self._answer(401, {"detail": "Unauthorized"}, None)
            answers = [
                mock._plain(route, match, query, headers, body, raw)
                for route, match in job
            ]
            code, answer, content_type = next(
                (a for a in answers if a[0] != 422), answers[0]
            )
            return self._answer(code, answer, None, content_type=content_type)
        request_id = job.request_id if job is not None else None
        fault = mock._next_fault(operation) if operation in OPERATIONS else None
        if fault is not None and self._misbehave(fault, request_id):
            return
        if not mock.authorized(headers):
            return self._answer(401, {"detail": "Unauthorized"}, request_id)
        if operation == "submit":
            webhook = query.get("fal_webhook", [None])[-1]
            code, answer, request_id = mock._submit(path, body, webhook)
            return self._answer(code, answer, request_id)
        if operation == "cancel":
            return self._answer(*mock._cancel(job), request_id)
        if job is None:
            return self._answer(404, {"detail": f"Path {path} not found"}, request_id)
        with_logs = query.get("logs", ["0"])[-1].lower() in ("1", "true")
        if operation == "status":
            state = mock._advance(job)
            return self._answer(
                200 if state == "COMPLETED" else 202,
                mock._status_body(job, state, with_logs),
                request_id,
            )
        if operation == "stream":
            return self._stream(job, with_logs)
        return self._answer(*mock._result(job), request_id)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        if name.startswith(
            "do_"
        ):  # WebDAV and other methods the docs may name (COPY, MOVE, ...)
            return self._serve
        raise AttributeError(name)

    def _misbehave(self, fault: Fault, request_id: str | None) -> bool:
        """Act out `fault`; True when the request has been dealt with."""
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            self.close_connection = True
            self.connection.close()
            return True
        if fault.status is None:
            return False
        body = (
            fault.body
            if fault.body is not None
            else {"detail": "Injected fault", "error_type": "runner_scheduling_failure"}
        )
        extra = (
            {"Retry-After": f"{fault.retry_after:g}"}
            if fault.retry_after is not None
            else {}
        )
        self._answer(
            fault.status,
            body,
            request_id if fault.with_request_id else None,
            extra,
            fault.with_request_id,
        )
        return True

    def _answer(
        self,
        code: int,
        body: Any,
        request_id: str | None,
        extra: dict[str, str] | None = None,
        with_request_id: bool = True,
        content_type: str = "application/json",
    ) -> None:
        if code == 204 or not content_type:
            payload = b""
        elif "json" in content_type:
            payload = json.dumps(body).encode()
        else:
            payload = str(body if body is not None else "").encode()
        self.send_response(code)
        if payload:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if with_request_id:
            self.send_header("x-fal-request-id", request_id or str(uuid.uuid4()))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, job: _Job, with_logs: bool) -> None:
        """Server-sent events: one `data:` per status until COMPLETED, then the stream closes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("x-fal-request-id", job.request_id)
        self.end_headers()
        self.close_connection = True
        self.wfile.write(b": keep-alive\n\n")
        while True:
            state = self.mock._advance(job)
            event = json.dumps(self.mock._status_body(job, state, with_logs))
            self.wfile.write(f"data: {event}\n\n".encode())
            self.wfile.flush()
            if state == "COMPLETED":
                return
            time.sleep(self.mock.stream_interval)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


def main() -> None:  # pragma: no cover - manual use: python -m <package>.testing
    with MockServer() as server:
        print(f"mock queue server on {server.url} (Ctrl-C to stop)", flush=True)
        threading.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    main()
