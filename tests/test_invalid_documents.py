"""Invalid OpenAPI documents: each is handled as the OpenAPI spec says, or is a located error
(file, line, JSON pointer; exit 2, nothing written): never a silently different client. The
classes are those of openapi-python-client's `documents_with_errors`, plus duplicate status
codes, response ranges and non-OpenAPI path-item keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.diagnostics import Report, SpecError
from generator.readers import read_text
from tests.helpers import run_cli

HEAD = 'openapi: "3.1.0"\ninfo: {title: t, version: "1"}\n'


def generate(tmp_path: Path, name: str, text: str) -> tuple[int, str, Path]:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "generated"
    done = run_cli(
        "generate", "--input", str(spec), "--out", str(out), "--no-cache", cwd=tmp_path
    )
    return done.returncode, done.stderr, out


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (  # a request body $ref to nothing
            HEAD
            + "paths:\n  /:\n    post:\n      requestBody:\n        $ref: '#/components/requestBodies/body'\n"
            "      responses: {'200': {description: ok}}\n",
            5,
            "points at nothing",
        ),
        (  # a request body $ref to itself
            HEAD
            + "paths:\n  /:\n    post:\n      requestBody:\n        $ref: '#/components/requestBodies/body'\n"
            "      responses: {'200': {description: ok}}\n"
            "components:\n  requestBodies:\n    body:\n      $ref: '#/components/requestBodies/body'\n",
            5,
            "refers to itself",
        ),
        (  # a response key that is no status code
            HEAD
            + "paths:\n  /:\n    get:\n      responses:\n        abcdef: {description: ok}\n",
            5,
            "'abcdef' is not a status code",
        ),
        (  # a schema $ref to a model that is not there
            HEAD
            + "paths:\n  /:\n    get:\n      responses:\n        '200':\n          description: ok\n"
            "          content: {application/json: {schema: {$ref: '#/components/schemas/Gone'}}}\n",
            5,
            "'#/components/schemas/Gone' points at no schema",
        ),
        (  # one status code twice: YAML keeps the last silently
            HEAD
            + "paths:\n  /:\n    get:\n      responses:\n        '200': {description: a}\n        '200': {description: b}\n",
            8,
            "'200' twice",
        ),
    ],
    ids=[
        "missing-body-ref",
        "circular-body-ref",
        "bad-status-code",
        "missing-schema-ref",
        "duplicate-status",
    ],
)
def test_invalid_document_is_a_located_error_and_nothing_is_written(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    code, stderr, out = generate(tmp_path, "bad.yaml", text)
    assert code == 2, stderr
    assert f"bad.yaml:{line}: error:" in stderr and words in stderr, stderr
    assert "Traceback" not in stderr and not out.exists()


def test_duplicate_status_code_in_json_names_its_line() -> None:
    text = '{"openapi": "3.0.0", "paths": {"/": {"get": {"responses": {\n"200": {"description": "a"},\n"200": {"description": "b"}}}}}}'
    with pytest.raises(SpecError) as raised:
        read_text(text, "dup.json", Report())
    [problem] = raised.value.diagnostics
    assert problem.line == 3 and "'200'" in problem.message


def test_optional_path_parameter_is_required_with_a_warning(tmp_path: Path) -> None:
    code, stderr, out = generate(
        tmp_path,
        "opt.yaml",
        HEAD + "paths:\n  /{optional}:\n    get:\n      parameters:\n"
        "        - {in: path, name: optional, schema: {type: string}}\n"
        "      responses: {'200': {description: ok}}\n",
    )
    assert code == 0, stderr
    assert (
        "opt.yaml:5: warning: path parameter 'optional' is not marked required"
        in stderr
    )
    registry = json.loads((out / "registry.json").read_text("utf-8"))
    [param] = registry["endpoints"][0]["parameters"]
    assert param["required"] is True


def test_defaults_are_coerced_to_their_type_or_dropped_with_a_warning() -> None:
    text = (
        HEAD + "paths:\n  /:\n    post:\n      parameters:\n"
        "        - {name: id, in: query, schema: {type: string, format: uuid, default: notauuid}}\n"
        "        - {name: on, in: query, schema: {type: boolean, default: 'true'}}\n"
        "        - {name: n, in: query, schema: {type: integer, default: '5'}}\n"
        "        - {name: s, in: query, schema: {type: string, default: 3}}\n"
        "        - {name: e, in: query, schema: {type: integer, enum: [1, 2], default: '2'}}\n"
        "      responses: {'200': {description: ok}}\n"
    )
    from generator.config import Config
    from generator.normalize import build

    report = Report()
    document = read_text(text, "defaults.yaml", report)
    [endpoint], _ = build([document], Config(root=Path(".")), report)
    defaults = {
        p["name"]: p["schema"].get("default", "-") for p in endpoint["parameters"]
    }
    assert defaults == {"id": "-", "on": True, "n": 5, "s": "3", "e": 2}
    [warning] = report.warnings
    assert "'notauuid' does not fit" in warning.message and warning.pointer.endswith(
        "/parameters/query/id/default"
    )


def test_ranges_and_default_responses_are_kept(tmp_path: Path) -> None:
    text = (
        HEAD + "paths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n"
        "        2XX: {description: ok, content: {application/json: {schema: {type: object, properties: {ok: {type: boolean}}}}}}\n"
        "        default: {description: err, content: {application/json: {schema: {type: object, properties: {why: {type: string}}}}}}\n"
    )
    report = Report()
    [endpoint] = read_text(text, "ranges.yaml", report).endpoints
    assert [(r.code, r.range) for r in endpoint.responses] == [
        (200, "2XX"),
        (500, "default"),
    ]
    code, stderr, out = generate(tmp_path, "ranges.yaml", text)
    assert code == 0, stderr
    module = (out / "api_client" / "endpoints" / "get_a.py").read_text("utf-8")
    assert '"2XX": models.' in module and '"default": models.' in module


def test_non_openapi_path_item_keys(tmp_path: Path) -> None:
    text = (
        HEAD + "paths:\n  /a:\n    copy:\n      responses: {'200': {description: ok}}\n"
        "    frobnicate: {summary: not an operation}\n"
    )
    report = Report()
    [endpoint] = read_text(text, "webdav.yaml", report).endpoints
    assert endpoint.method == "COPY"
    messages = [w.message for w in report.warnings]
    assert any("'copy' is not an OpenAPI method" in m for m in messages)
    assert any("'frobnicate' is neither an OpenAPI method" in m for m in messages)
