"""`specgen lint`: one spec edit per rule on copies of the seeds, with the finding, level and exit
status; what lint says about the seeds themselves; and the [tool.specgen.lint] settings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from generator import cli, lint
from generator.readers.positions import JsonPositions, YamlPositions
from tests.test_diff import FI, FL, Edit, make_project

LORA = "POST /fal-ai/flux-lora"


def case(
    rule: str,
    level: str,
    field: str,
    edits: list[Edit],
    exit: int,
    endpoint: str = LORA,
) -> Any:
    return pytest.param(
        rule, level, field, edits, exit, endpoint, id=f"{rule}-{len(edits)}-{field}"
    )


CASES = [
    case(
        "duplicate-endpoint", "error", "", [("flux-lora-copy.txt", "", "<copy>")], 100
    ),
    case(
        "example-violates-schema",
        "error",
        "num_images",
        [(FL, r"\"num_images\": 1,", r"\"num_images\": 9,")],
        100,
    ),
    case(
        "type-contradicted-by-example",
        "error",
        "num_inference_steps",
        [(FL, r"\"num_inference_steps\": 28", r"\"num_inference_steps\": \"28\"")],
        100,
    ),
    case(
        "default-out-of-range",
        "error",
        "num_images",
        [
            (
                FL,
                '"description": "图片数量,范围值:1-4" }',
                '"description": "图片数量,范围值:1-4", "default": 9 }',
            )
        ],
        100,
    ),
    case(
        "default-out-of-range",
        "error",
        "num_images",
        [(FL, "图片数量,范围值:1-4", "图片数量,默认值:9 范围值:1-4")],
        100,
    ),
    case(
        "enum-suspicious-value",
        "warning",
        "output_format",
        [(FI, "支持:jpeg、png", "支持:jpeg、png、default")],
        0,
        "POST /fal-ai/flux-lora/inpainting",
    ),
    case("enum-suspicious-value", "warning", "image_size", [], 0),
    case(
        "prose-not-lifted",
        "warning",
        "num_images",
        [(FL, "图片数量,范围值:1-4", "图片数量,一次可生成 4 张")],
        0,
    ),
    case(
        "prose-not-lifted",
        "warning",
        "enable_safety_checker",
        [(FL, "启用安全检查,默认值:true", "启用安全检查,默认值:maybe")],
        0,
    ),
    case(
        "prose-conflict",
        "warning",
        "num_images",
        [
            (
                FL,
                '"description": "图片数量,范围值:1-4" }',
                '"description": "图片数量,范围值:1-4", "maximum": 10 }',
            )
        ],
        0,
    ),
    case("empty-response-schema", "warning", "", [], 0),
    case(
        "reader-warning",
        "warning",
        "",
        [(FL, r'"value": "{\r\n \"prompt\"', r'"value": "{{\r\n \"prompt\"')],
        0,
    ),
    case(
        "missing-description",
        "info",
        "prompt",
        [
            (
                FL,
                '"prompt": { "type": "string", "description": "提示词" }',
                '"prompt": { "type": "string" }',
            )
        ],
        0,
    ),
    case("endpoint-missing-description", "info", "", [], 0),
]


def run_lint(
    capsys: pytest.CaptureFixture[str], pyproject: Path, *more: str
) -> tuple[int, dict[str, Any]]:
    code = cli.main(["lint", "--config", str(pyproject), "--format", "json", *more])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("rule, level, field, edits, exit, endpoint", CASES)
def test_each_rule(
    rule: str,
    level: str,
    field: str,
    edits: list[Edit],
    exit: int,
    endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = run_lint(capsys, make_project(tmp_path, edits))
    named = (endpoint, f"{endpoint} #2")  # the generator names a duplicate apart
    hits = [
        f
        for f in report["findings"]
        if f["rule"] == rule and f["endpoint"] in named and f["field"] == field
    ]
    assert hits, [(f["rule"], f["endpoint"], f["field"]) for f in report["findings"]]
    assert (
        hits[0]["level"] == level
        and hits[0]["file"].startswith("specs/")
        and hits[0]["line"] >= 1
    )
    assert code == exit == report["exit_code"]
    assert rule in lint.RULES


def test_locations_name_file_line_and_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = run_lint(
        capsys,
        make_project(tmp_path, [(FL, r"\"num_images\": 1,", r"\"num_images\": 9,")]),
    )
    (hit,) = [f for f in report["findings"] if f["rule"] == "example-violates-schema"]
    assert (hit["file"], hit["line"], hit["pointer"]) == (
        "specs/flux-lora.txt",
        15,
        "/requestBody/examples/0/value/num_images",
    )
    assert "9 is greater than the maximum of 4" in hit["message"]


# What lint says about the seeds, each finding checked by hand against the docs and fal's API:
SEED_WARNINGS = {
    # Apifox left "default" in the prose list ("支持default、png、jpeg"); fal takes jpeg | png.
    (
        "enum-suspicious-value",
        "POST /fal-ai/flux-1/dev/image-to-image",
        "output_format",
    ),
    ("enum-suspicious-value", "POST /fal-ai/flux-1/dev/image-to-image", "acceleration"),
    ("enum-suspicious-value", "POST /fal-ai/flux-pro/kontext", "output_format"),
    # "square pro" is not a fal image size (square_hd is); a space in an enum value is a typo.
    ("enum-suspicious-value", "POST /fal-ai/flux-lora", "image_size"),
    # Every page documents the 200 response as `{"properties": {}}`; the model comes from examples.
    *{
        ("empty-response-schema", endpoint, "")
        for endpoint in (
            "POST /fal-ai/flux-1/dev/image-to-image",
            "POST /fal-ai/flux-lora",
            "POST /fal-ai/flux-lora/inpainting",
            "POST /fal-ai/flux-pro/kontext",
            "POST /fal-ai/qwen-image-edit-lora",
        )
    },
}


def test_the_seeds_lint_clean_at_the_default_level_with_explained_warnings(
    seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_lint(capsys, seed_project)
    assert code == 0 and report["summary"]["error"] == 0
    warnings = {
        (f["rule"], f["endpoint"], f["field"])
        for f in report["findings"]
        if f["level"] == "warning"
    }
    assert warnings == SEED_WARNINGS
    infos = {
        (f["rule"], f["field"]) for f in report["findings"] if f["level"] == "info"
    }
    assert infos == {
        ("endpoint-missing-description", ""),
        ("missing-description", "enable_safety_checker"),
        ("missing-description", "negative_prompt"),
    }
    assert run_lint(capsys, seed_project, "--fail-on", "warning")[0] == 100


def test_settings_ignore_severity_and_per_endpoint(
    seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = seed_project.read_text()
    seed_project.write_text(
        base
        + '\n[tool.specgen.lint]\nignore = ["missing-description", "endpoint-missing-description"]\n'
        'severity = { enum-suspicious-value = "error", empty-response-schema = "off" }\n'
        '[tool.specgen.lint.ignore_endpoints]\n"POST /fal-ai/flux-1/dev/image-to-image" = ["*"]\n'
    )
    code, report = run_lint(capsys, seed_project)
    rules = {(f["rule"], f["level"], f["endpoint"]) for f in report["findings"]}
    assert rules == {
        ("enum-suspicious-value", "error", "POST /fal-ai/flux-lora"),
        ("enum-suspicious-value", "error", "POST /fal-ai/flux-pro/kontext"),
    }
    assert code == 100


@pytest.mark.parametrize(
    "table",
    [
        'ignore = ["no-such-rule"]',
        'severity = { prose-conflict = "fatal" }',
        "colour = 1",
    ],
)
def test_bad_settings_fail_with_exit_1(
    table: str, seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_project.write_text(
        seed_project.read_text() + f"\n[tool.specgen.lint]\n{table}\n"
    )
    assert cli.main(["lint", "--config", str(seed_project)]) == 1
    assert "[tool.specgen.lint]" in capsys.readouterr().err


def test_bad_spec_input_exits_1_with_the_diagnostic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = make_project(
        tmp_path, [(FL, '{ "query": [], "path"', '{ "query": [, "path"')]
    )
    assert cli.main(["lint", "--config", str(pyproject)]) == 1
    assert "specs/flux-lora.txt:13: error:" in capsys.readouterr().err


# --- locations: the line (and column) a person would point at, in every format --------------

FIXTURES = Path(__file__).parent / "fixtures" / "apifox"
LOCATION = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+)(?::(?P<col>\d+))?: ")


def lint_file(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, str]:
    """Lint one export in every format; the outputs by format."""
    outputs = {
        kind: tmp_path / f"lint.{kind}"
        for kind in ("text", "github", "junit", "markdown")
    }
    cli.main(
        ["lint", str(path), "--format", "json", "--fail-on", "none"]
        + [
            arg
            for kind, out in outputs.items()
            for arg in ("--format", f"{kind}={out}")
        ]
    )
    return {
        "json": capsys.readouterr().out,
        **{kind: out.read_text(encoding="utf-8") for kind, out in outputs.items()},
    }


def located(outputs: dict[str, str]) -> dict[str, list[tuple[int, int | None, str]]]:
    """(line, column, message) of every finding, as each format states it."""
    findings = json.loads(outputs["json"])["findings"]
    places: dict[str, list[tuple[int, int | None, str]]] = {
        "json": [(f["line"], f["column"], f["message"]) for f in findings]
    }
    places["text"] = []
    for row in outputs["text"].splitlines():
        match = LOCATION.match(row)
        if match:
            col = int(match["col"]) if match["col"] else None
            places["text"].append((int(match["line"]), col, row))
    places["github"] = []
    for row in outputs["github"].splitlines():
        match = re.search(r"line=(\d+)(?:,col=(\d+))?", row)
        if match:
            col = int(match[2]) if match[2] else None
            places["github"].append((int(match[1]), col, row))
    places["junit"] = []
    for case in ElementTree.fromstring(outputs["junit"]).iter("testcase"):
        if case.get("line"):
            body = "".join(case.itertext())
            match = LOCATION.match(body.strip())
            col = int(match["col"]) if match and match["col"] else None
            places["junit"].append((int(case.get("line", "0")), col, body))
    places["markdown"] = []
    for row in outputs["markdown"].splitlines():
        match = re.search(r"\| [^|:]+:(\d+)(?::(\d+))? \|$", row)
        if match:
            col = int(match[2]) if match[2] else None
            places["markdown"].append((int(match[1]), col, row))
    return places


def _follow(data: Any, tokens: list[str]) -> tuple[Any, Any, str | None]:
    """(parent, node, last token) at the deepest existing prefix of `tokens`, local refs
    followed: an independent reading of the pointer, on the parsed data."""
    parent: Any = None
    node, last = data, None
    pending = list(tokens)
    while pending:
        token = pending[0]
        if isinstance(node, dict) and token in node:
            parent, node, last = node, node[token], token
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            parent, node, last = node, node[int(token)], token
        elif isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
            ref = node["$ref"]
            target = [
                t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/")
            ]
            if ref.startswith("#/definitions/") and "definitions" not in data:
                target = _native_model(data, ref.rsplit("/", 1)[-1], [])  # Apifox's ids
            node, parent, last = data, None, None
            pending = target + pending
            continue
        else:
            break
        pending.pop(0)
    return parent, node, last


def _native_model(node: Any, ident: str, at: list[str]) -> list[str]:
    """The tokens of the jsonSchema of the Apifox model with id `ident`."""
    if isinstance(node, dict):
        named = str(node.get("id")) in (ident, f"#/definitions/{ident}")
        if named and ("jsonSchema" in node or "schema" in node):
            return (
                [*at, "schema", "jsonSchema"]
                if "schema" in node
                else [*at, "jsonSchema"]
            )
        items = list(node.items())
    elif isinstance(node, list):
        items = [(str(i), v) for i, v in enumerate(node)]
    else:
        return []
    for key, value in items:
        if at == [] and key != "schemaCollection":
            continue
        found = _native_model(value, ident, [*at, key])
        if found:
            return found
    return []


def assert_points_at_json(text: str, finding: dict[str, Any]) -> None:
    """The text at the finding's line and column is the member's key, or the element itself."""
    lines = text.split("\n")
    offset = sum(len(line) + 1 for line in lines[: finding["line"] - 1])
    offset += finding["column"] - 1
    tokens = [
        t.replace("~1", "/").replace("~0", "~")
        for t in finding["pointer"].split("/")[1:]
    ]
    parent, node, last = _follow(json.loads(text), tokens)
    if isinstance(parent, dict):
        key, _ = json.decoder.scanstring(text, offset + 1)  # type: ignore[attr-defined]
        assert text[offset] == '"' and key == last, finding
    else:
        assert json.JSONDecoder().raw_decode(text, offset)[0] == node, finding


def test_a_one_line_export_tells_findings_apart_by_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def api(ident: int, path: str, fields: list[str]) -> dict[str, Any]:
        return {
            "name": path,
            "api": {
                "id": str(ident),
                "method": "post",
                "path": path,
                "description": "",
                "parameters": {"query": [{"name": "seed", "type": "integer"}]},
                "requestBody": {
                    "type": "application/json",
                    "jsonSchema": {
                        "type": "object",
                        "properties": {name: {"type": "string"} for name in fields},
                    },
                },
                "responses": [],
            },
        }

    export = {
        "apifoxProject": "1.0.0",
        "apiCollection": [
            {
                "name": "根目录",
                "items": [api(1, "/a", ["prompt", "seed"]), api(2, "/b", ["prompt"])],
            }
        ],
    }
    for indent, name in ((None, "one-line.apifox.json"), (2, "pretty.apifox.json")):
        path = tmp_path / name
        text = json.dumps(export, ensure_ascii=False, indent=indent)
        path.write_text(text, encoding="utf-8")
        outputs = lint_file(path, tmp_path, capsys)
        findings = json.loads(outputs["json"])["findings"]
        named = {
            (f["endpoint"], f["field"]): f
            for f in findings
            if f["rule"] == "missing-description"
        }
        assert set(named) == {
            ("POST /a", "prompt"),
            ("POST /a", "seed"),
            ("POST /a", "query:seed"),
            ("POST /b", "prompt"),
            ("POST /b", "query:seed"),
        }
        for finding in findings:
            assert_points_at_json(text, finding)
        places = {(f["line"], f["column"]) for f in findings}
        assert len(places) == len(findings)  # no two findings at one place
        if indent is None:
            assert {f["line"] for f in findings} == {1}
        else:  # the line of the key, inside its own endpoint
            rows = text.split("\n")
            b_starts = next(n for n, row in enumerate(rows, 1) if '"path": "/b"' in row)
            prompt_b = named[("POST /b", "prompt")]
            assert (
                prompt_b["line"] > b_starts and '"prompt"' in rows[prompt_b["line"] - 1]
            )
        expected = sorted((f["line"], f["column"]) for f in findings)
        for kind, rows_at in located(outputs).items():
            assert sorted((line, col) for line, col, _ in rows_at) == expected, kind
        assert all(
            "(at /apiCollection/0/items/" in row
            for row in outputs["text"].splitlines()[:-1]
        )


def test_yaml_findings_point_at_the_key_also_through_a_ref(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /pets:
    post:
      summary: add
      parameters:
        - name: limit
          in: query
          schema: {type: integer}
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Pet'
      responses:
        '200':
          description: ok
components:
  schemas:
    Pet:
      type: object
      properties:
        name:
          type: string
"""
    path = tmp_path / "pets.openapi.yaml"
    path.write_text(text, encoding="utf-8")
    outputs = lint_file(path, tmp_path, capsys)
    findings = {
        (f["rule"], f["field"]): f for f in json.loads(outputs["json"])["findings"]
    }
    rows = text.split("\n")

    def at(finding: dict[str, Any]) -> str:
        return rows[finding["line"] - 1][finding["column"] - 1 :]

    assert at(findings[("missing-description", "name")]).startswith("name:")
    assert findings[("missing-description", "name")]["line"] == 24
    assert at(findings[("missing-description", "query:limit")]).startswith(
        "name: limit"
    )
    assert at(findings[("endpoint-missing-description", "")]).startswith("post:")
    for kind, rows_at in located(outputs).items():
        assert (24, 9) in {(line, col) for line, col, _ in rows_at}, kind


@pytest.mark.parametrize(
    "export",
    [
        "openapi/TaleVoice.默认模块.openapi.json",
        "native/blog_server.apifox.json",  # one line, as Apifox writes them
        "native/RustDemo.api.apifox.json",
    ],
)
def test_corpus_findings_point_at_what_they_name(
    export: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = FIXTURES / export
    text = path.read_text(encoding="utf-8-sig")
    outputs = lint_file(path, tmp_path, capsys)
    findings = json.loads(outputs["json"])["findings"]
    assert findings
    for finding in findings:
        assert finding["column"] is not None, finding
        assert_points_at_json(text, finding)
    expected = sorted((f["line"], f["column"]) for f in findings)
    for kind, rows_at in located(outputs).items():
        assert sorted((line, col) for line, col, _ in rows_at) == expected, kind
    if "TaleVoice" in export:
        rows = text.split("\n")
        logout = [f for f in findings if f["endpoint"] == "POST /api/user/logout"]
        assert logout
        for finding in logout:  # all inside the operation, which starts at line 434
            assert 434 <= finding["line"] < 530, finding
        (endpoint,) = [f for f in logout if f["rule"] == "endpoint-missing-description"]
        assert endpoint["line"] == 434 and rows[433].strip() == '"post": {'
        assert rows[432].strip() == '"/api/user/logout": {'


def test_the_boyuan_yaml_findings_name_their_key_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = FIXTURES / "openapi" / "Boyuan.默认模块.openapi.yaml"
    rows = path.read_text(encoding="utf-8").split("\n")
    findings = json.loads(lint_file(path, tmp_path, capsys)["json"])["findings"]
    keyed = [f for f in findings if not f["pointer"].split("/")[-1].isdigit()]
    assert keyed
    for finding in keyed:
        key = finding["pointer"].split("/")[-1].replace("~1", "/").replace("~0", "~")
        here = rows[finding["line"] - 1][finding["column"] - 1 :]
        assert here.startswith((f"{key}:", f"'{key}':", f'"{key}":')), finding


def test_numbers_inside_names_are_not_unlifted_prose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = make_project(
        tmp_path,
        [
            (
                FL,
                '"description": "提示词"',
                '"description": "提示词,SHA-256加密发送,ISO 8601,HTTP/2,v1,utf-8,MD5"',
            )
        ],
    )
    _, report = run_lint(capsys, pyproject)
    assert not [
        f
        for f in report["findings"]
        if f["rule"] == "prose-not-lifted" and f["field"] == "prompt"
    ]


def test_positions_of_json_and_yaml_nodes() -> None:
    text = '{"a~b": {"x/y": [10, {"k": "v"}]}, "a~b": {"dup": 1}, "名": "值", "esc\\"q": 2,\n "r": {"$ref": "#/m"}, "m": {"deep": 3}, "loop": {"$ref": "#/loop"}}'
    positions = JsonPositions(text)

    def at(pointer: str) -> tuple[int, int, bool]:
        found = positions.locate(pointer)
        assert found is not None
        return found.line, found.column, found.exact

    # a repeated key is found at its first occurrence (scanning stops there)
    assert at("/a~0b/x~1y/1") == (1, text.index('{"k"') + 1, True)
    assert at("/a~0b/dup")[2] is False
    assert at("/名") == (1, text.index('"名"') + 1, True)
    assert at('/esc"q') == (1, text.index('"esc') + 1, True)
    assert at("/r/deep") == (2, text.split("\n")[1].index('"deep"') + 1, True)
    assert at("/loop/x")[2] is False  # a ref cycle ends
    assert at("")[:2] == (1, 1)
    yaml_text = "a:\n  - x\n  - k: v\nb: {c: 1}\n"
    yaml_positions = YamlPositions(yaml_text, offset=10)
    found = yaml_positions.locate("/a/1/k")
    assert found is not None and (found.line, found.column) == (13, 5)
    found = yaml_positions.locate("/b/c")
    assert found is not None and (found.line, found.column) == (14, 5)
    assert JsonPositions("{ broken").locate("/a") is not None  # never raises
