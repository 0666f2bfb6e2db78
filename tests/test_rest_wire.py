"""Plain REST endpoints on the wire: security schemes, encodings, parameter serialization,
null vs not given, media types, typed errors, raw responses, base URLs. A package generated
from tests/fixtures/rest/ talks to a real loopback server that records every byte."""

from __future__ import annotations

import base64
import importlib
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "rest"


class Recorder:
    """A loopback HTTP server: records each request, answers what `answers` says per path."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[int, str, bytes]] = {}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": parse_qs(parts.query, keep_blank_values=True),
                        "raw_query": parts.query,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                status, kind, payload = recorder.answers.get(
                    parts.path, (200, "application/json", b"{}")
                )
                self.send_response(status)
                if kind:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("X-Trace", "abc")
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def last(self) -> dict[str, Any]:
        return self.requests[-1]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("wire") / "generated"
    done = run_cli(
        "generate",
        "--input",
        str(FIXTURES / "wire.openapi.yaml"),
        "--out",
        str(out),
        "--package",
        "wire_api",
        "--no-cache",
        cwd=out.parent,
    )
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("wire_api")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "wire_api"]:
            del sys.modules[name]


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.httpd.shutdown()
    recorder.httpd.server_close()


def client(package: ModuleType, server: Recorder, **credentials: Any) -> Any:
    return package.Client(base_url=server.url, credentials=credentials or None)


def test_registry_reads_schemes_requirements_and_the_production_server(
    package: ModuleType,
) -> None:
    registry = json.loads(
        (Path(package.__file__).parents[1] / "registry.json").read_text("utf-8")
    )
    schemes = registry["security_schemes"]
    assert schemes["bearerAuth"]["prefix"] == "Bearer"
    assert schemes["bearerAuth"]["env"] == "WIRE_API_BEARER_AUTH"
    assert (schemes["queryKey"]["in"], schemes["queryKey"]["name"]) == (
        "query",
        "api_key",
    )
    assert schemes["oauth"]["prefix"] == "Bearer"
    by_id = {e["names"]["attribute"]: e for e in registry["endpoints"]}
    assert by_id["get_item"]["security"] == [["bearerAuth"]]  # the document's default
    assert by_id["get_public"]["security"] == []
    assert by_id["get_either"]["security"] == [["basicAuth"], ["queryKey", "cookieKey"]]
    assert registry["base_url"] == "https://api.example.com"  # 正式环境, not 开发环境
    assert package._meta.AUTH_SCHEME is None


def test_bearer_from_its_own_environment_variable_and_parameter_serialization(
    package: ModuleType, server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_API_BEARER_AUTH", "tok-1")
    server.answers["/items/7"] = (200, "application/json", b'{"id": 7, "note": null}')
    item = package.Client(base_url=server.url).get_item(
        id=7, tags=["a", "b"], ids=[1, 2], ratio=1.0, flag=True
    )
    sent = server.last()
    assert sent["headers"]["authorization"] == "Bearer tok-1"
    assert sent["query"] == {
        "tags": ["a", "b"],
        "ids": ["1,2"],
        "ratio": ["1"],
        "flag": ["true"],
    }
    assert "cookie" not in sent["headers"]
    assert sent["headers"]["accept"] == "application/json"
    assert isinstance(item, package.models.Item) and item.id == 7


def test_security_none_sends_no_credentials_and_text_comes_back_as_str(
    package: ModuleType, server: Recorder
) -> None:
    server.answers["/public"] = (200, "text/plain; charset=utf-8", "你好".encode())
    answer = client(package, server, bearerAuth="tok").get_public()
    assert answer == "你好"
    assert "authorization" not in server.last()["headers"]
    assert server.last()["headers"]["accept"] == "text/plain"


def test_alternatives_basic_or_query_and_cookie(
    package: ModuleType, server: Recorder
) -> None:
    server.answers["/either"] = (204, "", b"")
    assert client(package, server, basicAuth=("ann", "s3cret")).get_either() is None
    expected = "Basic " + base64.b64encode(b"ann:s3cret").decode()
    assert server.last()["headers"]["authorization"] == expected
    client(package, server, queryKey="q-1", cookieKey="c 1").get_either()
    sent = server.last()
    assert sent["query"] == {"api_key": ["q-1"]}
    assert sent["headers"]["cookie"] == "session=c%201"
    assert "authorization" not in sent["headers"]


def test_missing_credentials_fail_before_sending_and_never_show_secrets(
    package: ModuleType, server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in ("WIRE_API_QUERY_KEY", "WIRE_API_HEADER_KEY", "WIRE_API_BASIC_AUTH"):
        monkeypatch.delenv(env, raising=False)
    api = client(package, server, queryKey="very-secret-q")
    with pytest.raises(package.MissingCredentialsError, match="WIRE_API_HEADER_KEY"):
        api.post_both()
    assert server.requests == []
    assert "very-secret-q" not in repr(api) + repr(api._settings)


def test_and_combination_required_empty_body_and_null_versus_not_given(
    package: ModuleType, server: Recorder
) -> None:
    api = client(package, server, queryKey="q", headerKey="h")
    api.post_both()
    sent = server.last()
    assert sent["query"] == {"api_key": ["q"]} and sent["headers"]["x-api-key"] == "h"
    assert json.loads(sent["body"]) == {}  # a required body with no field given
    api.post_both(b=None)
    assert json.loads(server.last()["body"]) == {"b": None}


def test_binary_answer_is_bytes_and_accept_names_its_media_type(
    package: ModuleType, server: Recorder
) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    server.answers["/oauth"] = (200, "image/png", png)
    assert client(package, server, oauth="at").get_oauth() == png
    sent = server.last()
    assert sent["headers"]["authorization"] == "Bearer at"
    assert sent["headers"]["accept"] == "image/png"


def test_form_keeps_blank_values_and_integers(
    package: ModuleType, server: Recorder
) -> None:
    client(package, server, bearerAuth="t").post_form(name="x y", blank="", n=3)
    sent = server.last()
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert sent["body"] == b"name=x%20y&blank=&n=3"


def test_multipart_without_a_file_is_still_multipart(
    package: ModuleType, server: Recorder
) -> None:
    client(package, server, bearerAuth="t").post_multipart(title="hello", count=2)
    sent = server.last()
    assert sent["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="title"\r\n\r\nhello\r\n' in sent["body"]
    assert b'name="count"\r\n\r\n2\r\n' in sent["body"]


def test_multipart_with_a_file(package: ModuleType, server: Recorder) -> None:
    client(package, server, bearerAuth="t").post_upload(
        file=("a.png", b"PNGDATA"), label="x"
    )
    body = server.last()["body"]
    assert (
        b'name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nPNGDATA'
        in body
    )
    assert b'name="label"\r\n\r\nx\r\n' in body


def test_raw_text_and_octet_stream_bodies(
    package: ModuleType, server: Recorder
) -> None:
    api = client(package, server, bearerAuth="t")
    server.answers["/text"] = (200, "application/xml", b"<ok/>")
    assert api.put_text(body="plain words") == "<ok/>"
    assert server.last()["headers"]["content-type"] == "text/plain"
    assert server.last()["body"] == b"plain words"
    server.answers["/bin"] = (200, "application/octet-stream", b"\x00\x01")
    assert api.put_bin(body=b"\x00\xfe") == b"\x00\x01"
    assert server.last()["headers"]["content-type"] == "application/octet-stream"
    assert server.last()["body"] == b"\x00\xfe"


def test_documented_error_body_is_typed_on_the_error(
    package: ModuleType, server: Recorder
) -> None:
    server.answers["/items/1"] = (
        404,
        "application/json",
        b'{"code": 44, "message": "no"}',
    )
    with pytest.raises(package.NotFoundError) as raised:
        client(package, server, bearerAuth="t").get_item(id=1)
    assert isinstance(raised.value.parsed, package.models.Error)
    assert raised.value.parsed.code == 44


def test_raw_response_extra_headers_and_timeout(
    package: ModuleType, server: Recorder
) -> None:
    server.answers["/items/2"] = (200, "application/json", b'{"id": 2}')
    api = client(package, server, bearerAuth="t")
    raw = api.with_raw_response.get_item(
        id=2, extra_headers={"X-Request-Id": "r-1"}, timeout=5.0
    )
    assert raw.status_code == 200 and raw.headers["x-trace"] == "abc"
    assert raw.parsed.id == 2 and raw.content == b'{"id": 2}'
    assert server.last()["headers"]["x-request-id"] == "r-1"
    assert isinstance(
        api.get_item(id=2), package.models.Item
    )  # the original is unchanged


def _api(ident: str, path: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": path,
        "api": {
            "id": ident,
            "method": "get",
            "path": path,
            "parameters": {},
            "responses": [],
            **extra,
        },
    }


def test_apifox_auth_per_project_folder_and_endpoint_with_inheritance() -> None:
    from generator.config import Config
    from generator.diagnostics import Report
    from generator.readers import read_text
    from generator.security import resolve

    project = {
        "apifoxProject": "1.0.0",
        "projectSetting": {
            "auth": {"type": "bearer", "bearer": {"token": "never-read"}}
        },
        "securitySchemeCollection": [
            {
                "name": "根目录",
                "items": [
                    {
                        "id": 11,
                        "name": "Admin Key",
                        "authConfigs": {
                            "type": "apiKey",
                            "in": "header",
                            "name": "X-Admin",
                        },
                    },
                    {
                        "id": 12,
                        "name": "Basic",
                        "authConfigs": {"type": "http", "scheme": "basic"},
                    },
                ],
            }
        ],
        "apiCollection": [
            {
                "name": "根目录",
                "items": [
                    _api("1", "/inherits-project"),
                    {
                        "name": "admin",
                        "auth": {"type": "securityscheme"},
                        "securityScheme": {
                            "schemeGroups": [{"id": "g", "schemeIds": [11, 12]}]
                        },
                        "items": [
                            _api("2", "/inherits-folder", auth={}),
                            _api("3", "/open", auth={"type": "noauth"}),
                            _api(
                                "4",
                                "/query-key",
                                auth={
                                    "type": "apikey",
                                    "apikey": {
                                        "in": "query",
                                        "key": "token",
                                        "value": "x",
                                    },
                                },
                            ),
                        ],
                    },
                ],
            }
        ],
    }
    report = Report()
    document = read_text(json.dumps(project), "auth.apifox.json", report)
    schemes = resolve([document], Config(root=Path("."), package="demo"))
    found = {e.path: e.security for e in document.endpoints}
    assert found == {
        "/inherits-project": [["bearer"]],
        "/inherits-folder": [["Admin Key", "Basic"]],  # both, in one alternative
        "/open": [],
        "/query-key": [["apikey query token"]],
    }
    assert schemes["Admin Key"]["env"] == "DEMO_ADMIN_KEY"
    assert (
        schemes["apikey query token"]["in"],
        schemes["apikey query token"]["name"],
    ) == ("query", "token")
    assert "never-read" not in json.dumps(
        schemes
    )  # the author's own token stays in the export
