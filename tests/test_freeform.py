"""What the caller gives reaches the wire, and what the server sends reaches the caller, as
JSON Schema and OpenAPI say: free-form object bodies (no `properties`, `additionalProperties`
not false: any members) are sent verbatim in their declared encoding; answers keep the members
their schema does not forbid; an `Authorization` header parameter is ignored (OpenAPI: SHALL);
a date-time given as text goes as given; HTTP basic takes a username and a password. One
package generated from a document written here, against a recording loopback server and
against its own mock."""

from __future__ import annotations

import base64
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.helpers import run_cli
from tests.test_rest_wire import Recorder

DOCUMENT = """\
openapi: 3.0.3
info: {title: free-form, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
    basicAuth: {type: http, scheme: basic}
paths:
  /bare:
    post:
      operationId: postBare
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object}
            example: {itemId: 1, tags: [a]}
      responses: {'200': {description: ok}}
  /empty:
    post:
      operationId: postEmpty
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {}}
            example: {itemId: 2}
      responses: {'200': {description: ok}}
  /parts:
    post:
      operationId: postParts
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: {type: object, properties: {}}
            example: {k: v}
      responses: {'200': {description: ok}}
  /fields:
    post:
      operationId: postFields
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema: {type: object}
            example: {k: v}
      responses: {'200': {description: ok}}
  /closed:
    post:
      operationId: postClosed
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {}, additionalProperties: false}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                properties: {a: {type: integer}}
  /info:
    get:
      operationId: getInfo
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  a: {type: integer}
                  inner: {type: object, properties: {x: {type: string}}}
  /profile:
    get:
      operationId: getProfile
      security: [{bearerAuth: []}]
      parameters:
        - {name: Authorization, in: header, example: '{{bearerToken}}', schema: {type: string}}
        - {name: accept, in: header, schema: {type: string}}
      responses:
        '204': {description: none}
        '401':
          description: refused
          content:
            application/json:
              schema:
                type: object
                required: [code, message]
                properties: {code: {type: integer}, message: {type: string}}
  /when:
    post:
      operationId: postWhen
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [when]
              properties:
                when: {type: string, format: date-time}
                days: {type: array, items: {type: string, format: date-time}}
      responses: {'204': {description: none}}
  /basic:
    get:
      operationId: getBasic
      security: [{basicAuth: []}]
      responses: {'204': {description: none}}
"""

PACKAGE = "freeform_api"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("freeform")
    document = root / "freeform.openapi.yaml"
    document.write_text(DOCUMENT, encoding="utf-8")
    out = root / "generated"
    done = run_cli(
        "generate",
        "--input",
        str(document),
        "--out",
        str(out),
        "--package",
        PACKAGE,
        "--no-cache",
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    yield out, done.stderr


@pytest.fixture(scope="module")
def package(generated: tuple[Path, str]) -> Iterator[ModuleType]:
    out = generated[0]
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.httpd.shutdown()
    recorder.httpd.server_close()


def _client(package: ModuleType, server: Recorder, **options: Any) -> Any:
    return package.Client(base_url=server.url, **options)


def test_a_free_form_json_body_is_taken_whole_and_sent_verbatim(
    package: ModuleType, server: Recorder
) -> None:
    api = _client(package, server)
    body = {"itemId": 1, "nested": {"x": [1, None]}, "ok": True, "gone": None}
    api.post_bare(body=body)
    assert json.loads(server.last()["body"]) == body
    # `properties: {}` is still an object that admits any member
    api.post_empty(body={"itemId": 2, "more": "yes"})
    assert json.loads(server.last()["body"]) == {"itemId": 2, "more": "yes"}
    assert server.last()["headers"]["content-type"] == "application/json"


def test_a_free_form_multipart_or_form_body_sends_every_member(
    package: ModuleType, server: Recorder
) -> None:
    api = _client(package, server)
    api.post_parts(body={"k": "v", "n": 3})
    sent = server.last()
    assert sent["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="k"\r\n\r\nv\r\n' in sent["body"]
    assert b'name="n"\r\n\r\n3\r\n' in sent["body"]
    api.post_fields(body={"k": "v w", "n": 3})
    sent = server.last()
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert sent["body"] == b"k=v%20w&n=3"


def test_generated_tests_send_the_documented_example_and_pass_against_the_mock(
    generated: tuple[Path, str],
) -> None:
    out = generated[0]
    cases = {
        name: json.loads((out / "tests" / "cases" / f"{name}.json").read_text("utf-8"))
        for name in ("post_bare", "post_empty", "post_parts")
    }
    assert cases["post_bare"]["expected_body"] == {"itemId": 1, "tags": ["a"]}
    assert cases["post_empty"]["expected_body"] == {"itemId": 2}
    assert cases["post_parts"]["expected_body"] == {"k": ["v"]}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_mock_accepts_any_members_of_a_free_form_body(package: ModuleType) -> None:
    with importlib.import_module(PACKAGE + ".testing").MockServer() as mock:
        api = package.Client(base_url=mock.url)
        api.post_empty(body={"anything": [1, 2], "deep": {"x": None}})
        assert mock.requests[-1].json == {"anything": [1, 2], "deep": {"x": None}}
        api.post_parts(body={"k": "v"})
        refused = httpx.post(mock.url + "/closed", json={"extra": 1})
        assert refused.status_code == 422, refused.text


def test_an_answer_keeps_the_members_its_schema_does_not_forbid(
    package: ModuleType, server: Recorder
) -> None:
    answer = {"a": 1, "b": 2, "inner": {"x": "y", "z": [3]}}
    server.answers["/info"] = (200, "application/json", json.dumps(answer).encode())
    info = _client(package, server).get_info()
    assert info.a == 1 and info.model_extra == {"b": 2}
    assert info.inner.model_extra == {"z": [3]}
    assert info.model_dump() == answer
    # `additionalProperties: false` still refuses them
    server.answers["/closed"] = (200, "application/json", b'{"a": 1, "b": 2}')
    with pytest.raises(package.MalformedResponseError):
        _client(package, server).post_closed()


def test_an_authorization_header_parameter_is_ignored_with_a_located_warning(
    generated: tuple[Path, str], package: ModuleType, server: Recorder
) -> None:
    stderr = generated[1]
    assert (
        "freeform.openapi.yaml:" in stderr
        and "header parameter 'Authorization' is ignored" in stderr
    ), stderr
    assert "header parameter 'accept' is ignored" in stderr
    api = _client(package, server, credentials={"bearerAuth": "tok"})
    with pytest.raises(TypeError):
        api.get_profile(authorization="Bearer other")
    api.get_profile()
    assert server.last()["headers"]["authorization"] == "Bearer tok"


def test_a_date_time_given_as_text_goes_as_given_and_a_datetime_with_its_offset(
    package: ModuleType, server: Recorder
) -> None:
    api = _client(package, server)
    api.post_when(when="2025-08-15", days=["2025-08-16T01:02:03+08:00", "2025-08-17"])
    assert json.loads(server.last()["body"]) == {
        "when": "2025-08-15",
        "days": ["2025-08-16T01:02:03+08:00", "2025-08-17"],
    }
    aware = datetime(2025, 8, 15, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    api.post_when(when=aware)
    assert json.loads(server.last()["body"]) == {"when": "2025-08-15T10:00:00+02:00"}
    with pytest.raises(package.InputValidationError):
        api.post_when(when="not a date")


def test_basic_auth_takes_a_username_and_a_password(
    package: ModuleType, server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = "FREEFORM_API_BASIC_AUTH"
    for name in (env, env + "_USERNAME", env + "_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    api = _client(package, server, username="ann", password="pa:ss")
    api.get_basic()
    expected = "Basic " + base64.b64encode(b"ann:pa:ss").decode()
    assert server.last()["headers"]["authorization"] == expected
    assert "pa:ss" not in repr(api) + repr(api._settings)
    # `key=` has no user part: it is not a basic credential
    keyed = _client(package, server, key="just-a-key")
    with pytest.raises(package.MissingCredentialsError, match=env + "_USERNAME"):
        keyed.get_basic()
    with pytest.raises(ValueError, match="username:password") as refused:
        _client(package, server, credentials={"basicAuth": "no-colon-secret"})
    assert "no-colon-secret" not in str(refused.value)
    monkeypatch.setenv(env + "_USERNAME", "bob")
    monkeypatch.setenv(env + "_PASSWORD", "from-env")
    _client(package, server).get_basic()
    expected = "Basic " + base64.b64encode(b"bob:from-env").decode()
    assert server.last()["headers"]["authorization"] == expected


def test_the_mock_refuses_a_basic_credential_without_a_user_part(
    package: ModuleType,
) -> None:
    with importlib.import_module(PACKAGE + ".testing").MockServer() as mock:
        bare = "Basic " + base64.b64encode(b"just-a-key").decode()
        pair = "Basic " + base64.b64encode(b"ann:secret").decode()
        assert (
            httpx.get(mock.url + "/basic", headers={"Authorization": bare}).status_code
            == 401
        )
        assert (
            httpx.get(mock.url + "/basic", headers={"Authorization": pair}).status_code
            == 204
        )


def test_the_mock_refuses_missing_credentials_with_the_documented_401(
    package: ModuleType,
) -> None:
    with importlib.import_module(PACKAGE + ".testing").MockServer() as mock:
        # the ignored `Authorization` parameter no longer lets any header through
        refused = httpx.get(mock.url + "/profile", headers={"Authorization": "Key x"})
        assert refused.status_code == 401
        answer = refused.json()
        assert isinstance(answer["code"], int) and isinstance(answer["message"], str)
        undocumented = httpx.get(mock.url + "/basic")
        assert undocumented.status_code == 401
        assert undocumented.json() == {"detail": "Unauthorized"}
