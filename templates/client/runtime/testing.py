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

Faults are scripted per operation ("submit", "status", "result", "cancel", "stream", and
"plain" for any plain endpoint):
`server.inject("status", Fault(status=429, retry_after=0.1), times=2)`; a wrong content type
(`Fault(status=200, body="<html>", content_type="text/html")`) or an answer cut short after the
work was done (`Fault(truncate=20)`: a submit so answered has queued its job). Plain (REST)
endpoints take the same faults, per route (`server.inject("GET /items/{id}", fault)`, the
method and the documented path template) or for any of them (`server.inject("rest", fault)`):
a fault of a route goes first, and a fault that only delays, truncates or relabels lets the
documented answer go out (validated as usual) under it. `Fault(reset=True)` resets the
connection (TCP RST) instead of closing it.

From the command line (`python -m <package>.testing --help`, or `specgen mock`) it listens on
127.0.0.1:4010, answers browsers' CORS preflight for localhost origins, and logs one line per
request. A `Prefer: code=404` or `Prefer: example=NAME` request header picks another documented
response of a plain endpoint (as Prism does): NAME is the response's name in the docs, or N for
the N-th documented example.

Queue controls are recorded on each job (`priority`, `hint`, `start_timeout`, `headers`) and
honoured: a low-priority job stays queued behind normal ones, and a job still queued after its
`X-Fal-Request-Timeout` fails with 504 and `X-Fal-Request-Timeout-Type: user`. Results carry
`x-fal-billable-units`; failures carry `X-Fal-Error-Type` and `X-Fal-Retryable`.

Storage (rest.fal.ai and the CDN) is served on its own address, `server.storage_url`: the token
(`/storage/auth/token`), uploads (`/files/upload`, multipart with ETags, the `initiate` fallback)
and the stored files; faults for "token", "upload", "part" and "initiate". Webhook deliveries
are signed as fal signs them, with a test key whose JWKS is at `server.jwks_url`
(`server.sign_webhook(body, request_id)` signs anything else; needs `cryptography`).
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import email.policy
import fnmatch
import functools
import hashlib
import json
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pydantic

from . import models
from ._auth import SCHEMES, wire_value
from ._meta import AUTH_SCHEME
from ._protocol import PollPolicy
from ._sample import sample
from ._spec import ENDPOINTS, ROUTES

if TYPE_CHECKING:
    from typing_extensions import Self

TEST_API_KEY = "test-key"
# basic auth in the contract tests: this user, TEST_API_KEY as the password
TEST_USERNAME = "test-user"


def _basic_password(value: str, prefix: str) -> str | None:
    """The password of `Basic base64(user:password)`, None when the value is not that."""
    head, _, token = value.partition(" ") if prefix else (prefix, "", value)
    if head.lower() != prefix.lower():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon else None


# Polls fast enough that a test waits milliseconds, not seconds.
FAST_POLL = PollPolicy(initial=0.001, factor=2.0, maximum=0.01)
OPERATIONS = (
    "submit",
    "status",
    "result",
    "cancel",
    "stream",
    "token",
    "upload",
    "part",
    "initiate",
)
REST = "rest"  # faults for any plain endpoint; "<METHOD> <path template>" names one
LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 4010  # as Prism's: front-end configs can name it
# Browser pages served from any port of this machine (the dev server of a front-end).
LOCAL_ORIGINS = (
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[[]::1]:*",
    "https://localhost:*",
    "http://localhost",
    "http://127.0.0.1",
)
ORIGIN = re.compile(r"^https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    json: Any  # the body parsed as JSON, when it is JSON
    body: bytes = b""
    raw_path: str = ""  # the path as sent, percent-escapes kept (`path` is decoded)

    def has_path(self, expected: str) -> bool:
        """The path sent is `expected`, segment by segment: an escaped `/` stays inside its segment."""
        return _segments(self.raw_path or quote(self.path)) == _segments(expected)

    @property
    def form(self) -> dict[str, str]:
        """An urlencoded body's fields (last value of each)."""
        return {
            key: values[-1]
            for key, values in parse_qs(
                self.body.decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }

    @property
    def form_values(self) -> dict[str, list[str]]:
        """An urlencoded body's fields, every value of each (an array's repeated keys)."""
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour: an error status, a dropped connection, or a slow answer."""

    status: int | None = None  # answer this status instead of the real one
    body: Any = None  # with this body (default: fal's flat error body)
    retry_after: float | str | None = (
        None  # and this Retry-After header (text as given: "NaN", a date)
    )
    drop: bool = False  # close the connection without answering
    reset: bool = False  # reset the connection (TCP RST) without answering
    delay: float = 0.0  # wait this long first (then answer normally unless status/drop)
    with_request_id: bool = (
        True  # without x-fal-request-id a 5xx looks like an ingress error
    )
    content_type: str | None = (
        None  # answer with this Content-Type (a non-JSON one sends `body` as text)
    )
    truncate: int | None = (
        None  # send only this many bytes of the body (the job is still queued), then close
    )
    headers: dict[str, str] = field(default_factory=dict)  # more response headers


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
    priority: str = "normal"
    hint: str | None = None
    start_timeout: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    submitted_at: float = field(default_factory=time.monotonic)
    ended: bool = False  # failed before it ran (start timeout)
    timeout_type: str | None = None


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
        host: str = "127.0.0.1",
        port: int = 0,
        cors_origins: tuple[str, ...] | None = None,
        delay: float = 0.0,
        seed: int | None = None,
        log: Callable[[str], None] | None = None,
        billable_units: float | None = 1.0,
        token_ttl: float = 3600.0,
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
        # The command-line layer: where to listen, CORS (None: no CORS headers), a delay before
        # every answer, reproducible request ids, and one log line per request.
        self.host, self.port = host, port
        self.cors_origins = cors_origins
        self.delay = delay
        self.log = log
        self._ids = random.Random(seed) if seed is not None else None
        self.billable_units = billable_units
        self.storage = _Storage(self, token_ttl)
        self.webhook_requests: list[tuple[str, dict[str, str], bytes]] = (
            []
        )  # (url, headers, body) as sent
        self._signing_key = _new_signing_key()
        self.max_overlap = (
            0  # the most delayed (Fault(delay=...)) requests in flight at once
        )
        self._queue: list[_Job] = (
            []
        )  # jobs that may still be IN_QUEUE, in order of submission
        self._overlapping = 0

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> Self:
        handler = type("Handler", (_Handler,), {"mock": self})
        server_class = _Server6 if ":" in self.host else _Server
        self._httpd = server_class((self.host, self.port), handler)
        threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.01,),
            name="mock-fal-queue",
            daemon=True,
        ).start()
        self.storage.start()
        return self

    def stop(self) -> None:
        self.storage.stop()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
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
        return (
            f"http://[{host!s}]:{port}"
            if ":" in str(host)
            else f"http://{host!s}:{port}"
        )

    @property
    def storage_url(self) -> str:
        """Where storage lives (what rest.fal.ai and the CDN are to the real service)."""
        return self.storage.url

    @property
    def jwks_url(self) -> str:
        return f"{self.storage.url}/.well-known/jwks.json"

    @property
    def jwks(self) -> dict[str, Any]:
        """The public half of the webhook signing key, as fal publishes its keys."""
        if self._signing_key is None:
            return {"keys": []}
        raw = self._signing_key.public_key().public_bytes_raw()
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": x,
                    "kid": "mock-webhook-key",
                    "use": "sig",
                    "alg": "EdDSA",
                }
            ]
        }

    def sign_webhook(
        self,
        body: bytes,
        request_id: str,
        *,
        timestamp: int | None = None,
        user_id: str = "mock-user",
    ) -> dict[str, str]:
        """The X-Fal-Webhook-* headers fal sends with `body` ({} without `cryptography`)."""
        if self._signing_key is None:
            return {}
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signed = "\n".join(
            (request_id, user_id, stamp, hashlib.sha256(body).hexdigest())
        ).encode()
        return {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": stamp,
            "X-Fal-Webhook-Signature": self._signing_key.sign(signed).hex(),
        }

    # --- what tests ask for ------------------------------------------------------------
    def inject(self, operation: str, fault: Fault, times: int = 1) -> None:
        """The next `times` calls of `operation` misbehave as `fault` says: a queue or storage
        operation (OPERATIONS), "rest" (any plain endpoint) or one plain endpoint as
        "<METHOD> <path template>" (e.g. "GET /items/{id}")."""
        routes = sorted({_route_key(route) for route in ROUTES})
        if (
            operation not in OPERATIONS
            and operation != REST
            and operation not in routes
        ):
            named = ", ".join(routes[:8]) + (", ..." if len(routes) > 8 else "")
            raise ValueError(
                f"operation must be one of {OPERATIONS}, {REST!r} or a plain endpoint as 'METHOD /path' ({named or 'none here'})"
            )
        with self._lock:
            self._faults.setdefault(operation, deque()).extend([fault] * times)

    @property
    def submits(self) -> int:
        """How many submits arrived (a retried submit shows here twice)."""
        with self._lock:
            return sum(
                1 for r in self.requests if r.method == "POST" and r.path in ENDPOINTS
            )

    def reset(self) -> None:
        """Forget what happened (requests, jobs, faults, deliveries): one server can serve many
        tests, each seeing only its own requests."""
        with self._lock:
            self.requests.clear()
            self.jobs.clear()
            self.webhook_deliveries.clear()
            for queue in self._faults.values():
                queue.clear()

    def new_id(self) -> str:
        """A request id: random, or from the seed (the same ids in every run)."""
        if self._ids is None:
            return str(uuid.uuid4())
        with self._lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def origin_allowed(self, origin: str) -> bool:
        """Whether CORS headers go to this Origin (`*` allows any; patterns match scheme://host:port)."""
        if self.cors_origins is None or not origin:
            return False
        return "*" in self.cors_origins or (
            bool(ORIGIN.match(origin))
            and any(fnmatch.fnmatchcase(origin, p) for p in self.cors_origins)
        )

    def refusal(self, job: Any) -> tuple[int, Any, str]:
        """401 for missing credentials: the operation's documented 401 answer when it has one
        (a body valid against its schema), else `{"detail": "Unauthorized"}`."""
        for route, _ in job:
            for response in route.get("responses") or []:
                if response["code"] == 401:
                    built = response.get("built")
                    return (
                        401,
                        (
                            built
                            if built is not None
                            else (response["examples"] or [None])[0]
                        ),
                        response["content_type"],
                    )
        return 401, {"detail": "Unauthorized"}, "application/json"

    def preferred(
        self, route: dict[str, Any], prefer: str
    ) -> tuple[int, Any, str] | None:
        """The documented response a `Prefer: code=N, example=NAME` header asks for (RFC 7240 syntax)."""
        wanted: dict[str, str] = {}
        for part in re.split(r"[,;]", prefer):
            key, _, value = part.strip().partition("=")
            if key.strip().lower() in ("code", "example") and value.strip():
                wanted[key.strip().lower()] = value.strip().strip('"')
        responses = route.get("responses")
        if not wanted or responses is None:
            return None
        where = f"{route['method']} {route['path']}"
        if "code" in wanted:
            responses = [r for r in responses if str(r["code"]) == wanted["code"]]
            if not responses:
                codes = (
                    ", ".join(sorted({str(r["code"]) for r in route["responses"]}))
                    or "none"
                )
                return (
                    400,
                    {
                        "detail": f"Prefer: code={wanted['code']}: no such documented response of {where} (documented: {codes})"
                    },
                    "application/json",
                )
        if "example" not in wanted:
            chosen = responses[0]
            return (
                chosen["code"],
                (chosen["examples"] or [chosen["built"]])[0],
                chosen["content_type"],
            )
        name = wanted["example"]
        for response in responses:
            if response["name"].casefold() == name.casefold():
                return (
                    response["code"],
                    (response["examples"] or [response["built"]])[0],
                    response["content_type"],
                )
        numbered = [(r, example) for r in responses for example in r["examples"]]
        if name.isdigit() and 1 <= int(name) <= len(numbered):
            response, example = numbered[int(name) - 1]
            return response["code"], example, response["content_type"]
        names = ", ".join(repr(r["name"]) for r in responses if r["name"]) or "none"
        return (
            400,
            {
                "detail": f"Prefer: example={name}: no such documented example of {where} (names: {names}; or 1..{len(numbered)})"
            },
            "application/json",
        )

    def _overlap(self, change: int) -> None:
        with self._lock:
            self._overlapping += change
            self.max_overlap = max(self.max_overlap, self._overlapping)

    def _next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(operation)
            return queue.popleft() if queue else None

    def _rest_fault(
        self, routes: list[tuple[dict[str, Any], re.Match[str]]]
    ) -> Fault | None:
        """The next fault of a plain request: its route's own first, then any route's."""
        for key in [*dict.fromkeys(_route_key(route) for route, _ in routes), REST]:
            fault = self._next_fault(key)
            if fault is not None:
                return fault
        return None

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
        self,
        path: str,
        body: Any,
        webhook: str | None,
        headers: dict[str, str] | None = None,
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
        job = _Job(self.new_id(), path, spec["app_id"], body, webhook)
        _controls(job, headers or {})
        if self.fail_requests is not None:
            job.failure = (
                500,
                {"detail": self.fail_requests[0], "error_type": self.fail_requests[1]},
            )
        with self._lock:
            self.jobs[job.request_id] = job
            self._queue.append(job)
            ahead = self._position(job)
        envelope = {
            **self._envelope(job, "IN_QUEUE"),
            "gateway_request_id": job.request_id,
        }
        return (
            200,
            {**envelope, "queue_position": ahead, "logs": None, "metrics": {}},
            job.request_id,
        )

    def _queued(self) -> list[_Job]:
        """The jobs IN_QUEUE, in order of submission (one that left the queue never returns)."""
        self._queue = [job for job in self._queue if self._state(job) == "IN_QUEUE"]
        return self._queue

    def _position(self, job: _Job) -> int:
        """Queued jobs ahead of `job`: normal priority before low, then in order of submission."""
        rank = {"normal": 0, "low": 1}
        mine, ahead, before = rank.get(job.priority, 0), 0, True
        for other in self._queued():
            if other is job:
                before = False
                continue
            theirs = rank.get(other.priority, 0)
            if theirs < mine or (before and theirs == mine):
                ahead += 1
        return ahead

    def _held(self, job: _Job) -> bool:
        """Whether `job` must stay queued: its start timeout passed (it fails instead), or it is
        low priority, about to leave the queue, and a normal-priority job still waits.
        """
        if self._timed_out(job):
            return True
        leaving = job.polls == self.polls_in_queue and not job.cancelled
        return (
            leaving
            and job.priority == "low"
            and any(
                other.priority != "low" for other in self._queued() if other is not job
            )
        )

    def _timed_out(self, job: _Job) -> bool:
        if (
            job.start_timeout is None
            or job.ended
            or job.cancelled
            or self._state(job) != "IN_QUEUE"
        ):
            return False
        if time.monotonic() - job.submitted_at <= job.start_timeout:
            return False
        job.ended, job.timeout_type = True, "user"
        job.failure = (
            504,
            {"detail": "Request timed out", "error_type": "request_timeout"},
        )
        return True

    def _result_headers(self, job: _Job, code: int) -> dict[str, str]:
        """x-fal-billable-units on a result; the error's type and retryability on a failure."""
        if code < 400:
            return (
                {"x-fal-billable-units": f"{self.billable_units:g}"}
                if self.billable_units is not None
                else {}
            )
        error = self._error_of(job)
        if error is None:
            return {}
        error_type = str(error[1].get("error_type", ""))
        headers = {
            "X-Fal-Error-Type": error_type,
            "X-Fal-Retryable": "true" if error_type.startswith("runner_") else "false",
        }
        if job.timeout_type:
            headers["X-Fal-Request-Timeout-Type"] = job.timeout_type
        return headers

    def _state(self, job: _Job) -> str:
        if job.ended:
            return "COMPLETED"
        if job.cancelled or job.polls > self.polls_in_queue + self.polls_in_progress:
            return "COMPLETED"
        return "IN_QUEUE" if job.polls <= self.polls_in_queue else "IN_PROGRESS"

    def _advance(self, job: _Job) -> str:
        """One poll's worth of progress: a new log line while running."""
        with self._lock:
            if not self._held(job):
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
            with self._lock:
                body["queue_position"] = self._position(job)
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
        raw = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            **self.sign_webhook(raw, job.request_id),
        }
        self.webhook_requests.append((job.webhook, headers, raw))
        if urlsplit(job.webhook).hostname in LOOPBACK:
            threading.Thread(
                target=_post_raw, args=(job.webhook, raw, headers), daemon=True
            ).start()

    def route(
        self, method: str, path: str, raw_path: str | None = None
    ) -> tuple[str, Any]:
        """(operation, job or plain routes) for a request, before any fault or answer. Plain
        routes match the path as sent (`raw_path`), segment by segment, so that an encoded
        slash (`%2F`) inside a path parameter stays inside it."""
        if method == "POST" and path in ENDPOINTS:
            return "submit", None
        routable = _routable(
            raw_path if raw_path is not None else quote(path, safe="/")
        )
        # The most specific template wins (/users/me before /users/{id}), as OpenAPI says; docs
        # may describe one method and path twice: each route of that template gets its chance.
        matches = [
            (route, match)
            for route in ROUTES
            if route["method"] == method
            and (match := _route_pattern(route["pattern"]).match(routable))
        ]
        if matches:
            best = max(_specificity(route["path"]) for route, _ in matches)
            return "plain", [
                (route, match)
                for route, match in matches
                if _specificity(route["path"]) == best
            ]
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
        found: dict[str, Any] = {}
        shapes = _param_shapes(route["params_model"])
        styles = route.get("styles", {})
        for py_name, wire, location in route["params"]:
            shape = shapes.get(py_name, _SCALAR)
            style, explode = styles.get(py_name) or (
                ("form", True) if location in ("query", "cookie") else ("simple", False)
            )
            if location == "query":
                value = _query_value(query, wire, shape, style, explode)
            elif location in ("header", "cookie"):
                items = _sent_items(headers, location, wire)
                value = (
                    _MISSING if items is None else _items_value(items, shape, explode)
                )
            else:
                value = (
                    _items_value(path_values[wire].split(","), shape, explode)
                    if wire in path_values
                    else _MISSING
                )
            if value is _MISSING and shape.required and location != "path":
                # null, [] and {} are undefined (RFC 6570 §2.3): the client sends nothing
                value = _undefined(shape)
            if value is not _MISSING:
                found[py_name] = value
        detail = _at_locations(
            _problems_read(route["params_model"], found, "query"), route["params"]
        )
        encoding, content_type = route["encoding"], headers.get("content-type", "")
        # the same body may be documented in other media types too: it may come in any
        encoding = next(
            (
                kind
                for declared, kind in route.get("also", [])
                if encoding is not None
                and not _content_type_fits(
                    encoding, route.get("content_type"), content_type
                )
                and _content_type_fits(kind, declared, content_type)
                and (kind != "raw" or _same_type(declared, content_type))
            ),
            encoding,
        )
        if (
            encoding is not None
            and (raw or route.get("body_required"))
            and not _content_type_fits(
                encoding, route.get("content_type"), content_type
            )
        ):
            return (
                415,
                {
                    "detail": f"expected a {route.get('content_type') or encoding} body, got {content_type or 'none'}"
                },
                "application/json",
            )
        if encoding == "form":
            sent = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
            body = _fields(
                route["input_model"],
                {
                    key: [_field_value(value) for value in values]
                    for key, values in sent.items()
                },
            )
        if encoding == "multipart" and (raw or route.get("body_required")):
            # an optional body left out has no parts to require (OpenAPI requestBody.required)
            parts, files = _multipart(content_type, raw)
            body = _fields(route["input_model"], parts)
            missing = [
                name for name in route.get("required_files", []) if name not in files
            ]
            detail += [
                {"loc": ["body", name], "msg": "Field required", "type": "missing"}
                for name in missing
            ]
            # file parts are checked for presence only: the input model holds the other fields
            body = {
                name: value
                for name, value in body.items()
                if name not in route.get("file_fields", [])
            }
        if (
            encoding in ("json", "form", "multipart")
            and route["input_model"]
            and (raw or route.get("body_required"))
        ):
            detail += (
                _problems_read(route["input_model"], body, "body")
                if encoding != "json" and isinstance(body, dict)
                else _problems(route["input_model"], body, "body")
            )
        if detail:
            # in the documented media type of a 422 when it is JSON (`+json` types too)
            documented = next(
                (
                    r["content_type"]
                    for r in route["responses"]
                    if r["code"] == 422 and "json" in r["content_type"]
                ),
                "application/json",
            )
            return 422, {"detail": detail}, documented
        preferred = self.preferred(route, headers.get("prefer", ""))
        if preferred is not None:
            return preferred
        answer = route["answer"]
        return answer["code"], answer["body"], answer["content_type"]

    def record(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
        raw_path: str = "",
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
                    raw_path,
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
            if scheme.basic:
                # RFC 7617: base64 of "user-id:password"; with api_key, that is the password
                password = _basic_password(value, scheme.prefix)
                return password is not None and self.api_key in (None, password)
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


def _route_key(route: dict[str, Any]) -> str:
    """How `inject` names a plain endpoint: its method and documented path template."""
    return f"{route['method']} {route['path']}"


@functools.cache
def _route_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _specificity(template: str) -> tuple[int, int]:
    """(literal segments, literal characters) of a path template: more is more specific."""
    segments = [part for part in template.split("/") if part]
    literal = [part for part in segments if "{" not in part]
    return len(literal), len(re.sub(r"\{[^}]*\}", "", template))


def _content_type_fits(encoding: str, declared: str | None, given: str) -> bool:
    given = given.split(";", 1)[0].strip().lower()
    if encoding == "json":
        return (
            given == "application/json"
            or given.endswith("+json")
            or given == (declared or "").lower()
        )
    if encoding == "form":
        return given == "application/x-www-form-urlencoded"
    if encoding == "multipart":
        return given.startswith("multipart/")
    return True  # a raw body may be sent as any type the docs name


def _same_type(declared: str, given: str) -> bool:
    """A media type of the request fits a documented one (`*` ranges included)."""
    kind = given.split(";", 1)[0].strip().lower()
    return fnmatch.fnmatchcase(kind, declared.split(";", 1)[0].strip().lower())


def _field_value(text: str) -> Any:
    """A text form field: objects and arrays arrive as JSON text, everything else as text."""
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _multipart(
    content_type: str, raw: bytes
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(text fields, file parts) of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    fields: dict[str, list[Any]] = {}
    files: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        if part.get_filename() is not None:
            files[name] = data
        else:
            fields.setdefault(name, []).append(
                _field_value(data.decode("utf-8", "replace"))
            )
    return fields, files


def _fields(model_name: str | None, sent: dict[str, list[Any]]) -> dict[str, Any]:
    """Form or multipart fields by name: an array field's repeated keys (or parts) are its
    items, as OpenAPI's default `form`/explode encoding sends them; any other field is its last
    value."""
    arrays = _array_fields(model_name)
    return {
        name: (
            values
            if name in arrays and not (len(values) == 1 and isinstance(values[0], list))
            else values[-1]
        )
        for name, values in sent.items()
    }


def _sent_items(headers: dict[str, str], location: str, wire: str) -> list[str] | None:
    """An array header (`simple`: "a,b") or cookie (`form`: repeated `name=a; name=b`, or one
    `name=a,b` unexploded) as its items; None when it was not sent."""
    if location == "header":
        text = headers.get(wire.lower())
        return None if text is None else text.split(",")
    pairs = [
        part.strip().split("=", 1)
        for part in headers.get("cookie", "").split(";")
        if "=" in part
    ]
    values = [unquote(value) for name, value in pairs if name == wire]
    if not values:
        return None
    return values if len(values) > 1 else values[0].split(",")


@dataclass(frozen=True)
class _Shape:
    """What a parameter's wire text stands for: a scalar, an array or an object, and whether
    the value (an array's items, an object's properties) may be text or null."""

    kind: str = "scalar"  # "scalar" | "array" | "object"
    text: bool = True
    nulls: bool = False
    properties: tuple[tuple[str, bool], ...] = ()  # an object's (name, may be text)
    required: bool = False


_SCALAR = _Shape()
_MISSING: Any = object()


@functools.cache
def _param_shapes(model_name: str | None) -> dict[str, _Shape]:
    """The shape of each parameter of a parameters model, by Python name."""
    if model_name is None:
        return {}
    schema = getattr(models, model_name).model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    shapes = {}
    for name, prop in schema.get("properties", {}).items():
        branches = [_resolved(b, defs) for b in _branches(prop, defs)]
        arrays = [b for b in branches if b.get("type") == "array"]
        objects = [
            b for b in branches if b.get("type") == "object" or "properties" in b
        ]
        if arrays:
            items = arrays[0].get("items", {})
            shapes[name] = _Shape(
                "array",
                _may_be_text(items, defs, 0),
                _admits_null(items, defs, 0),
                required=name in required,
            )
        elif objects and len(objects) == len(
            [b for b in branches if b.get("type") != "null"]
        ):
            properties = tuple(
                (key, _may_be_text(value, defs, 0))
                for obj in objects
                for key, value in obj.get("properties", {}).items()
            )
            shapes[name] = _Shape(
                "object",
                properties=properties,
                nulls=_admits_null(prop, defs, 0),
                required=name in required,
            )
        else:
            shapes[name] = _Shape(
                "scalar",
                _may_be_text(prop, defs, 0),
                _admits_null(prop, defs, 0),
                required=name in required,
            )
    return shapes


def _resolved(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    for _ in range(8):
        if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
            break
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema if isinstance(schema, dict) else {}


def _branches(schema: Any, defs: dict[str, Any]) -> list[Any]:
    """The alternatives of a schema (anyOf/oneOf branches, else the schema itself)."""
    schema = _resolved(schema, defs)
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return [b for part in schema[key] for b in _branches(part, defs)]
    return [schema]


def _admits_null(schema: Any, defs: dict[str, Any], depth: int) -> bool:
    schema = _resolved(schema, defs)
    if depth > 8:
        return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in schema.get("enum", [0]) or (
        "const" in schema and schema["const"] is None
    ):
        return True
    return any(
        _admits_null(part, defs, depth + 1)
        for key in ("anyOf", "oneOf")
        for part in schema.get(key) or []
    )


def _item(text: str, text_ok: bool, nulls: bool) -> Any:
    """One wire text as its value: an empty text is null where text cannot be."""
    if text == "" and nulls and not text_ok:
        return None
    return _scalar(text, text_ok)


def _query_value(
    query: dict[str, list[str]], wire: str, shape: _Shape, style: str, explode: bool
) -> Any:
    """A query parameter read back as OpenAPI serializes it: `form` (exploded: repeated keys,
    or one key per property), `spaceDelimited`, `pipeDelimited`, `deepObject`, and `json` for a
    parameter described by `content`; _MISSING when it was not sent."""
    if shape.kind == "object" and (
        style == "deepObject" or (style == "form" and explode)
    ):
        texts = dict(shape.properties)
        keys = {
            f"{wire}[{name}]" if style == "deepObject" else name: name for name in texts
        }
        if style == "deepObject":
            prefix = f"{wire}["
            keys.update(
                {
                    key: key[len(prefix) : -1]
                    for key in query
                    if key.startswith(prefix) and key.endswith("]")
                }
            )
        value = {
            name: _item(query[key][-1], texts.get(name, True), False)
            for key, name in keys.items()
            if key in query
        }
        return value or _MISSING
    if wire not in query:
        return _MISSING
    if style == "json":
        try:
            return json.loads(query[wire][-1])
        except ValueError:
            return query[wire][-1]
    if shape.kind == "array":
        if explode and style == "form":
            sent = query[wire]
        else:
            joiner = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
            sent = query[wire][-1].split(joiner)
        return [_item(text, shape.text, shape.nulls) for text in sent]
    return _items_value(query[wire][-1].split(","), shape, False)


def _items_value(items: list[str], shape: _Shape, explode: bool) -> Any:
    """A `simple`/`form` value split at its commas, read back as its shape."""
    if shape.kind == "array":
        return [_item(text, shape.text, shape.nulls) for text in items]
    if shape.kind == "object":
        texts = dict(shape.properties)
        pairs = (
            [tuple(item.split("=", 1)) for item in items if "=" in item]
            if explode
            else list(zip(items[::2], items[1::2], strict=False))
        )
        return {k: _item(v, texts.get(k, True), False) for k, v in pairs}
    return _item(",".join(items), shape.text, shape.nulls)


def _undefined(shape: _Shape) -> Any:
    """The value a required parameter has when nothing was sent for it: an undefined one."""
    if shape.kind == "array":
        return []
    if shape.kind == "object":
        return {}
    return None if shape.nulls else _MISSING


def _segments(path: str) -> list[str]:
    return [unquote(segment) for segment in path.split("/")]


def _routable(raw_path: str) -> str:
    """Each segment decoded, except that `/` and `%` inside one stay encoded: a route pattern's
    `[^/]+` then matches exactly one segment, and unquoting its group gives the value sent.
    """
    return "/".join(
        unquote(segment).replace("%", "%25").replace("/", "%2F")
        for segment in raw_path.split("/")
    )


def _controls(job: _Job, headers: dict[str, str]) -> None:
    """Record a submit's queue controls on its job."""
    job.headers = dict(headers)
    job.priority = headers.get("x-fal-queue-priority", "normal")
    job.hint = headers.get("x-fal-runner-hint")
    timeout = headers.get("x-fal-request-timeout")
    try:
        job.start_timeout = float(timeout) if timeout is not None else None
    except ValueError:
        job.start_timeout = None


def _new_signing_key() -> Any:
    """A fresh Ed25519 key for webhook signatures; None without the `cryptography` package."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        return None
    return Ed25519PrivateKey.generate()


_PART = re.compile(r"^/files/([^/]+)/([^/]+)/multipart/([^/]+)/(\d+|complete)$")


class _Storage:
    """rest.fal.ai's storage and the CDN, on their own address: tokens, uploads, files, JWKS."""

    def __init__(self, mock: MockServer, token_ttl: float) -> None:
        self.mock = mock
        self.token_ttl = token_ttl
        self.files: dict[str, tuple[bytes, str]] = {}  # path -> (bytes, content type)
        self.tokens: list[str] = []  # every token issued, in order
        self.requests: list[RecordedRequest] = []
        self.multipart: dict[str, dict[int, bytes]] = {}  # upload id -> parts
        self._pending: dict[str, tuple[str, str]] = (
            {}
        )  # fallback upload id -> (file path, content type)
        self._expiry: dict[str, float] = {}
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> None:
        handler = type("StorageHandler", (_Handler,), {"mock": self.mock})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.01,),
            name="mock-fal-storage",
            daemon=True,
        ).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(
                "the mock server is not running: call start() or use `with`"
            )
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def _token_ok(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self._expiry.get(token, 0.0) > time.time()

    def _store(self, name: str, data: bytes, content_type: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name or "upload.bin")
        path = f"/files/{uuid.uuid4().hex}/{safe}"
        with self.mock._lock:
            self.files[path] = (data, content_type)
        return path

    def serve(
        self,
        handler: _Handler,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> None:
        method = handler.command
        with self.mock._lock:
            self.requests.append(
                RecordedRequest(method, path, query, headers, None, raw)
            )
        operation = self._operation(method, path)
        fault = self.mock._next_fault(operation) if operation in OPERATIONS else None
        if fault is not None and handler._misbehave(fault, None):
            return None
        if method == "GET" and path == "/.well-known/jwks.json":
            return handler._answer(200, self.mock.jwks, None)
        if method == "GET" and path in self.files:
            data, content_type = self.files[path]
            return handler._answer_bytes(200, data, content_type)
        if operation in ("token", "initiate") and not self.mock.authorized(headers):
            return handler._answer(401, {"detail": "Unauthorized"}, None)
        if operation == "token":
            token = uuid.uuid4().hex
            expires = time.time() + self.token_ttl
            with self.mock._lock:
                self.tokens.append(token)
                self._expiry[token] = expires
            stamp = datetime.fromtimestamp(expires, timezone.utc).isoformat()
            return handler._answer(
                200,
                {
                    "token": token,
                    "token_type": "Bearer",
                    "base_url": self.url,
                    "expires_at": stamp,
                },
                None,
            )
        if operation == "initiate":
            info = json.loads(raw or b"{}")
            upload_id = uuid.uuid4().hex
            target = self._store(
                str(info.get("file_name", "upload.bin")),
                b"",
                str(info.get("content_type", "application/octet-stream")),
            )
            self._pending[upload_id] = (
                target,
                str(info.get("content_type", "application/octet-stream")),
            )
            return handler._answer(
                200,
                {
                    "upload_url": f"{self.url}/uploads/{upload_id}",
                    "file_url": self.url + target,
                },
                None,
            )
        if (
            method == "PUT"
            and path.startswith("/uploads/")
            and path[len("/uploads/") :] in self._pending
        ):
            target, content_type = self._pending.pop(path[len("/uploads/") :])
            with self.mock._lock:
                self.files[target] = (raw, headers.get("content-type", content_type))
            return handler._answer(200, {}, None)
        if operation in ("upload", "part") and not self._token_ok(headers):
            return handler._answer(
                401, {"detail": "Authorization header is required"}, None
            )
        content_type = headers.get("content-type", "application/octet-stream")
        name = headers.get("x-fal-file-name", "upload.bin")
        if method == "POST" and path == "/files/upload":
            return handler._answer(
                200,
                {"access_url": self.url + self._store(name, raw, content_type)},
                None,
            )
        if method == "POST" and path == "/files/upload/multipart":
            target = self._store(name, b"", content_type)
            upload_id = uuid.uuid4().hex
            with self.mock._lock:
                self.multipart[upload_id] = {}
            return handler._answer(
                200, {"access_url": self.url + target, "uploadId": upload_id}, None
            )
        match = _PART.match(path)
        if match is None or match.group(3) not in self.multipart:
            return handler._answer(404, {"detail": f"Path {path} not found"}, None)
        parts = self.multipart[match.group(3)]
        if match.group(4) != "complete":
            with self.mock._lock:
                parts[int(match.group(4))] = raw
            return handler._answer(200, {}, None, {"ETag": _etag(raw)})
        listing = json.loads(raw or b"{}").get("parts", [])
        given = {int(part["partNumber"]): part["etag"] for part in listing}
        expected = {number: _etag(data) for number, data in parts.items()}
        if given != expected:
            return handler._answer(
                400, {"detail": "the part list does not match the parts uploaded"}, None
            )
        target = f"/files/{match.group(1)}/{match.group(2)}"
        with self.mock._lock:
            self.files[target] = (
                b"".join(parts[number] for number in sorted(parts)),
                self.files.get(target, (b"", content_type))[1],
            )
        return handler._answer(200, {"access_url": self.url + target}, None)

    @staticmethod
    def _operation(method: str, path: str) -> str:
        if path == "/storage/auth/token":
            return "token"
        if path == "/storage/upload/initiate":
            return "initiate"
        if method == "POST" and path in ("/files/upload", "/files/upload/multipart"):
            return "upload"
        if _PART.match(path):
            return "part"
        return "unknown"


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


def _is_json(headers: dict[str, str], raw: bytes) -> bool:
    return bool(raw) and (
        "json" in headers.get("content-type", "") or raw[:1] in (b"{", b"[")
    )


def _scalar(text: str, is_text: bool) -> Any:
    """A parameter's text as the value it stands for: `true`, `1`, `null` unless it is text."""
    if is_text:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (bool, int, float)) or value is None else text


def _at_locations(
    detail: list[dict[str, Any]], params: list[Any]
) -> list[dict[str, Any]]:
    """Each parameter's problems under the location it is sent in (`header`, not `query`)."""
    locations = {py_name: location for py_name, _, location in params}
    for item in detail:
        loc = item["loc"]
        if len(loc) > 1 and loc[1] in locations:
            item["loc"] = [locations[loc[1]], *loc[1:]]
    return detail


def _may_be_text(schema: Any, defs: dict[str, Any], depth: int) -> bool:
    if not isinstance(schema, dict) or depth > 8:
        return True
    if isinstance(schema.get("$ref"), str):
        return _may_be_text(
            defs.get(schema["$ref"].rsplit("/", 1)[-1]), defs, depth + 1
        )
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            return any(_may_be_text(part, defs, depth + 1) for part in schema[key])
    if "enum" in schema or "const" in schema:
        return any(
            isinstance(v, str)
            for v in [
                *schema.get("enum", []),
                *([schema["const"]] if "const" in schema else []),
            ]
        )
    kind = schema.get("type")
    return (
        kind is None
        or kind == "string"
        or (isinstance(kind, list) and "string" in kind)
    )


@functools.cache
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


def _problems_read(
    model_name: str | None, values: dict[str, Any], where: str
) -> list[dict[str, Any]]:
    """The problems of values read from wire text, where no reading of a field's text fits
    its schema: a text that may stand for a number, a boolean or null (`1`, `true`, `null`, as
    fuzzers and servers write them) is read so when read as text it does not fit."""
    problems = _problems(model_name, values, where)
    for name in dict.fromkeys(str(p["loc"][1]) for p in problems if len(p["loc"]) > 1):
        if name not in values:
            continue
        for variant in _variants(values[name]):
            trial = {**values, name: variant}
            if not any(
                len(p["loc"]) > 1 and str(p["loc"][1]) == name
                for p in _problems(model_name, trial, where)
            ):
                values[name] = variant
                break
    return _problems(model_name, values, where) if problems else problems


def _variants(value: Any) -> list[Any]:
    """Other readings of a value read from text: its texts as JSON scalars, or as null."""

    def each(value: Any, read: Callable[[str], Any]) -> Any:
        if isinstance(value, str):
            return read(value)
        if isinstance(value, list):
            return [each(item, read) for item in value]
        if isinstance(value, dict):
            return {k: each(v, read) for k, v in value.items()}
        return value

    found = [
        each(value, lambda text: _scalar(text, False)),
        each(value, lambda text: None if text in ("", "null") else text),
    ]
    return [variant for variant in found if variant != value]


def _post_raw(url: str, body: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        urllib.request.urlopen(request, timeout=5).close()
    except OSError:
        pass  # a webhook receiver that is gone is the receiver's problem, as with the real service


class _Server(ThreadingHTTPServer):
    request_queue_size = (
        256  # many clients in flight must not overflow the listen backlog
    )
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up, or a slow handler finishing after stop(), is no error.
        if (
            not isinstance(sys.exc_info()[1], ConnectionError)
            and self.socket.fileno() != -1
        ):
            super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    mock: MockServer
    protocol_version = "HTTP/1.1"
    _status = 0  # the status sent, for the log line
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold every answer on a kept-alive connection for ~40 ms.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
        self._fault: Fault | None = None
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        mock = self.mock
        if self.server is not mock._httpd:
            return mock.storage.serve(self, path, query, headers, raw)
        body = mock.record(self.command, path, query, headers, raw, parts.path)
        operation, job = mock.route(self.command, path, parts.path)
        if operation == "plain":
            fault = mock._rest_fault(job)
            if fault is not None and self._misbehave(fault, None, plain=True):
                return
            if not any(mock.satisfied(route, headers, query) for route, _ in job):
                code, answer, content_type = mock.refusal(job)
                return self._answer(code, answer, None, content_type=content_type)
            answers = [
                mock._plain(route, match, query, headers, body, raw)
                for route, match in job
            ]
            # of operations sharing a method and path, the one whose parameters and body type fit
            code, answer, content_type = next(
                (a for a in answers if a[0] < 400),
                next((a for a in answers if a[0] not in (415, 422)), answers[0]),
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
            code, answer, request_id = mock._submit(path, body, webhook, headers)
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
        code, answer = mock._result(job)
        return self._answer(code, answer, request_id, mock._result_headers(job, code))

    def _layered(self) -> None:
        """Around `_serve`: CORS preflight, the configured delay, one log line per request."""
        started = time.perf_counter()
        self._status = 0
        try:
            if (
                self.command == "OPTIONS"
                and self.headers.get("Access-Control-Request-Method")
                and self.mock.cors_origins is not None
            ):
                self._preflight()
                return
            if self.mock.delay:
                time.sleep(self.mock.delay)
            self._serve()
        finally:
            if self.mock.log is not None:
                elapsed = (time.perf_counter() - started) * 1000
                self.mock.log(
                    f"{self.command} {urlsplit(self.path).path} {self._status or '-'} {elapsed:.1f}ms"
                )

    def _preflight(self) -> None:
        """A browser asks whether it may send the real request (Fetch standard, CORS protocol)."""
        if not self.mock.origin_allowed(self.headers.get("Origin", "")):
            return self._answer(
                403,
                {
                    "detail": "origin not allowed by the mock's CORS settings (--cors-origin)"
                },
                None,
            )
        self.send_response(204)
        self.send_header(
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
        )
        requested = self.headers.get("Access-Control-Request-Headers")
        if requested:
            self.send_header("Access-Control-Allow-Headers", requested)
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def end_headers(self) -> None:
        headers = getattr(
            self, "headers", None
        )  # unset when the request line itself was bad
        origin = headers.get("Origin", "") if headers is not None else ""
        if self.mock.origin_allowed(origin):
            everyone = "*" in (self.mock.cors_origins or ())
            self.send_header("Access-Control-Allow-Origin", "*" if everyone else origin)
            if not everyone:
                self.send_header("Vary", "Origin")
                self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header(
                "Access-Control-Expose-Headers",
                "x-fal-request-id, Retry-After, Content-Type",
            )
        super().end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _layered

    def __getattr__(self, name: str) -> Any:
        if name.startswith(
            "do_"
        ):  # WebDAV and other methods the docs may name (COPY, MOVE, ...)
            return self._layered
        raise AttributeError(name)

    def _misbehave(
        self, fault: Fault, request_id: str | None, plain: bool = False
    ) -> bool:
        """Act out `fault`; True when the request has been dealt with. A plain endpoint's
        default error body is `{"detail": ...}` alone (fal's error type is the queue's).
        """
        if fault.delay:
            self.mock._overlap(+1)
            try:
                time.sleep(fault.delay)
            finally:
                self.mock._overlap(-1)
        if fault.reset:
            self.close_connection = True
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()
            return True
        if fault.drop:
            self.close_connection = True
            self.connection.close()
            return True
        self._fault = (
            fault  # truncate applies to whatever is answered, the real answer included
        )
        if fault.status is None:
            return False
        default: dict[str, Any] = (
            {"detail": "Injected fault"}
            if plain
            else {"detail": "Injected fault", "error_type": "runner_scheduling_failure"}
        )
        body = fault.body if fault.body is not None else default
        retry_after = fault.retry_after
        extra = (
            {
                "Retry-After": (
                    retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
                )
            }
            if retry_after is not None
            else {}
        )
        if isinstance(body, dict) and isinstance(body.get("error_type"), str):
            extra["X-Fal-Error-Type"] = body["error_type"]
        extra.update(fault.headers)
        content_type = fault.content_type or "application/json"
        self._answer(
            fault.status,
            body,
            request_id if fault.with_request_id else None,
            extra,
            fault.with_request_id,
            content_type,
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
        fault = getattr(self, "_fault", None)
        if fault is not None and fault.content_type is not None:
            content_type = fault.content_type  # the real answer under a wrong type, too
        self.send_response(code)
        if payload:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if with_request_id:
            self.send_header("x-fal-request-id", request_id or self.mock.new_id())
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if fault is not None and fault.truncate is not None:
            self.wfile.write(payload[: fault.truncate])  # Content-Length promised more
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(payload)

    def _answer_bytes(self, code: int, payload: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
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


def options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The command line's options (`specgen mock` offers the same ones and hands them on)."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default: {DEFAULT_PORT}; 0 for any free port)",
    )
    parser.add_argument(
        "--cors",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="answer CORS preflight and send Access-Control-Allow-* headers (default: on)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="an allowed browser origin, * as a wildcard (e.g. http://localhost:*, https://app.example.com); repeat for several; default: localhost on any port",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long before every answer (default: 0)",
    )
    parser.add_argument(
        "--seed", type=int, help="make the generated request ids the same in every run"
    )
    parser.add_argument(
        "--api-key", help="accept only this key in Authorization (default: any key)"
    )
    parser.add_argument(
        "--polls",
        type=int,
        default=1,
        metavar="N",
        help="queue requests stay IN_QUEUE, then IN_PROGRESS, for N status polls each (default: 1)",
    )
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """`python -m <package>.testing`: serve the mock until Ctrl-C."""
    parser = options(
        argparse.ArgumentParser(
            prog=f"python -m {__package__}.testing",
            description="Serve this client's mock server: documented examples, the queue protocol, CORS for localhost.",
        )
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535 or args.delay < 0:
        parser.error("--port must be 0..65535 and --delay 0 or more")
    cors = tuple(args.cors_origin or LOCAL_ORIGINS) if args.cors else None
    server = MockServer(
        host=args.host,
        port=args.port,
        cors_origins=cors,
        delay=args.delay,
        seed=args.seed,
        api_key=args.api_key,
        polls_in_queue=args.polls,
        polls_in_progress=args.polls,
        log=lambda line: print(line, flush=True),
    )
    try:
        server.start()
    except OSError as exc:
        print(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; pass another --port (0 = any free port)",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    routes = len(ROUTES) + len(ENDPOINTS)
    print(
        f"mock server for {__package__} ({routes} endpoints) on {server.url} (Ctrl-C to stop)",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    try:
        print("mock server stopped", flush=True)
    except (
        BrokenPipeError
    ):  # whoever read our output has gone (`| head`, a finished script)
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
