"""A fake Apifox Open API on 127.0.0.1, for `specgen pull` tests: real HTTP, scripted faults.

It does what the Open API documents (https://apifox-openapi.apifox.cn): `POST
/v1/projects/{projectId}/export-openapi?locale=...` with `X-Apifox-Api-Version` (missing or
unsupported: 422), `Authorization: Bearer <token>` (wrong: 401) and a JSON body with scope,
options, oasVersion and exportFormat; the answer is the export. Errors come as Apifox's
`{"success": false, "errorCode", "errorMessage"}`. Plain GET paths serve doc pages.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SUPPORTED_VERSIONS = ("2024-03-28",)
SCOPE_TYPES = ("ALL", "SELECTED_TAGS", "SELECTED_ENDPOINTS", "SELECTED_FOLDERS")
LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>\xe7\x99\xbb\xe5\xbd\x95</title></head>'
    b'<body><form action="/login"><input name="email"><input type="password"></form></body></html>\n'
)


@dataclass
class Fault:
    status: int | None = None  # answer this status (with an Apifox error body)
    retry_after: str | None = None
    truncate: bool = (
        False  # send half the export, then close (Content-Length says the whole)
    )
    close_delimited: bool = (
        False  # with truncate: no Content-Length, the connection end is the end
    )
    html: bool = False  # answer 200 with a login page
    body: bytes | None = None  # answer 200 with these bytes


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApifox:
    token: str
    projects: dict[int, bytes] = field(default_factory=dict)
    pages: dict[str, bytes] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    echo_credentials: bool = (
        False  # a careless server that repeats the Authorization header
    )

    def __post_init__(self) -> None:
        self._httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeApifox:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, args=(0.01,), daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def inject(self, fault: Fault, times: int = 1) -> None:
        self.faults.extend([fault] * times)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeApifox
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self,
        code: int,
        body: bytes,
        content_type: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(
        self, code: int, message: str, extra: dict[str, str] | None = None
    ) -> None:
        body = {"success": False, "errorCode": str(code), "errorMessage": message}
        self._send(code, json.dumps(body).encode(), "application/json", extra)

    def _record(self) -> Seen:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        seen = Seen(
            self.command,
            parts.path,
            parse_qs(parts.query),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        self.fake.requests.append(seen)
        return seen

    def _fault(self, payload: bytes) -> bool:
        if not self.fake.faults:
            return False
        fault = self.fake.faults.popleft()
        if fault.status is not None:
            extra = (
                {"Retry-After": fault.retry_after}
                if fault.retry_after is not None
                else {}
            )
            self._error(fault.status, f"scripted {fault.status}", extra)
        elif fault.truncate:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if not fault.close_delimited:
                self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif fault.html:
            self._send(200, LOGIN_PAGE, "text/html; charset=utf-8")
        elif fault.body is not None:
            self._send(200, fault.body, "application/json")
        return True

    def do_GET(self) -> None:
        seen = self._record()
        page = self.fake.pages.get(seen.path)
        if self._fault(page or b""):
            return
        if page is None:
            return self._error(404, "page not found")
        self._send(200, page, "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        seen = self._record()
        match = re.fullmatch(r"/v1/projects/(\d+)/export-openapi", seen.path)
        if match is None:
            return self._error(404, "no such API")
        export = self.fake.projects.get(int(match.group(1)), b"")
        if self._fault(export):
            return
        version = seen.headers.get("x-apifox-api-version")
        if not version:
            return self._error(422, "X-Apifox-Api-Version header is required")
        if version not in SUPPORTED_VERSIONS:
            return self._error(422, f"API version {version} is not supported")
        given = seen.headers.get("authorization", "")
        if given != f"Bearer {self.fake.token}":
            said = (
                f"invalid access token: {given}"
                if self.fake.echo_credentials
                else "invalid access token"
            )
            return self._error(401, said)
        if int(match.group(1)) not in self.fake.projects:
            return self._error(404, "project not found")
        body = seen.body if isinstance(seen.body, dict) else {}
        scope = body.get("scope") or {}
        if scope.get("type") not in SCOPE_TYPES or body.get("exportFormat") not in (
            "JSON",
            "YAML",
        ):
            return self._error(400, "bad export options")
        self._send(200, export, "application/json")
