"""Every output format, checked for structure: JSON has the documented fields, JUnit XML parses,
annotations follow GitHub's `::level file=…,line=…::message` syntax, Markdown is one table row per
finding; and `check` speaks them too."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from generator import cli, findings
from generator.findings import Finding, Outcome
from tests.helpers import run_cli

NASTY = "a | b, c: 100% <done>\nnext line"
FINDINGS = [
    Finding(
        "request-range-narrowed",
        "breaking",
        "request field 'num_images': maximum changed from 4 to 2",
        "POST /fal-ai/flux-lora",
        "num_images",
        4,
        2,
        "specs/fal/flux-lora.txt",
        15,
        "/requestBody/jsonSchema/properties/num_images",
    ),
    Finding(
        "request-enum-value-added",
        "info",
        NASTY,
        "POST /x",
        "loras[].path",
        None,
        "webp",
        "specs/a,b:c.txt",
        None,
    ),
    Finding("endpoint-removed", "warning", "endpoint removed", "GET /y"),
]
FINDING_FIELDS = {
    "rule",
    "level",
    "message",
    "endpoint",
    "field",
    "old",
    "new",
    "file",
    "line",
    "column",
    "pointer",
    "details",
}
ANNOTATION = re.compile(
    r"^::(error|warning|notice)(?: ((?:file|line|col|title)=[^,:\n]*(?:,(?:file|line|col|title)=[^,:\n]*)*))?::[^\n]*$"
)


def outcome(
    fail_on: str = "breaking",
    notes: tuple[str, ...] = ("suggested version: 1.0.0 (major; current 0.1.0)",),
) -> Outcome:
    return Outcome(
        "diff",
        findings.ordered(FINDINGS),
        fail_on,
        notes=list(notes),
        extra={"old": "HEAD", "new": "working tree"},
    )


def test_json_has_the_documented_fields() -> None:
    document = json.loads(findings.render("json", outcome()))
    assert {
        "tool",
        "format_version",
        "command",
        "fail_on",
        "exit_code",
        "summary",
        "findings",
    } <= set(document)
    assert (
        document["summary"] == {"breaking": 1, "warning": 1, "info": 1}
        and document["exit_code"] == 100
    )
    assert all(set(f) == FINDING_FIELDS for f in document["findings"])
    assert (
        document["findings"][0]["message"] == "endpoint removed"
    )  # ordered by endpoint, field, rule
    assert json.loads(findings.render("json", outcome("none")))["exit_code"] == 0


def test_junit_parses_and_fails_only_at_or_above_the_threshold() -> None:
    for fail_on, failures in (
        ("breaking", 1),
        ("warning", 2),
        ("info", 3),
        ("none", 0),
    ):
        root = ElementTree.fromstring(findings.render("junit", outcome(fail_on)))
        suite = root.find("testsuite")
        assert root.tag == "testsuites" and suite is not None
        assert suite.get("tests") == "3" and suite.get("failures") == str(failures)
        assert len(suite.findall("testcase/failure")) == failures
    case = ElementTree.fromstring(findings.render("junit", outcome())).find(
        "testsuite/testcase[@name='request-enum-value-added loras[].path']"
    )
    assert case is not None and NASTY in (case.findtext("system-out") or "")
    empty = ElementTree.fromstring(
        findings.render("junit", Outcome("lint", [], "error"))
    )
    assert (
        empty.find("testsuite").get("tests") == "1"
    )  # an empty suite still shows up as passed


def test_github_annotations_follow_the_workflow_command_syntax() -> None:
    lines = findings.render("github", outcome()).splitlines()
    assert all(ANNOTATION.match(line) for line in lines), lines
    assert (
        lines[0]
        == "::warning title=endpoint-removed (warning)::GET /y: endpoint removed"
    )
    assert lines[1].startswith(
        "::error file=specs/fal/flux-lora.txt,line=15,title=request-range-narrowed (breaking)::POST /fal-ai/flux-lora: "
    )
    assert lines[2].startswith("::notice file=specs/a%2Cb%3Ac.txt,title=")
    assert lines[2].endswith("a | b, c: 100%25 <done>%0Anext line")


def test_markdown_is_a_pr_comment_with_one_row_per_finding() -> None:
    text = findings.render("markdown", outcome())
    lines = text.splitlines()
    assert lines[0] == "<!-- specgen:diff -->" and lines[1].startswith(
        "### specgen diff: 1 breaking, 1 warning, 1 info (fails)"
    )
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(rows) == 4  # header + 3
    assert all(
        len(re.findall(r"(?<!\\)\|", row)) == 7 for row in rows
    ), rows  # six cells; pipes in text escaped
    assert "&lt;done&gt;" in text and "- suggested version: 1.0.0" in text
    assert "No findings." in findings.render("markdown", Outcome("lint", [], "error"))


def test_text_is_one_line_per_finding_then_the_summary() -> None:
    lines = findings.render("text", outcome()).splitlines()
    assert (
        lines[1]
        == "specs/fal/flux-lora.txt:15: breaking: POST /fal-ai/flux-lora: request field 'num_images': maximum changed from 4 to 2 [request-range-narrowed] (at /requestBody/jsonSchema/properties/num_images)"
    )
    assert (
        "specgen diff: 1 breaking, 1 warning, 1 info; exit 100 (fails on breaking)"
        in lines
    )


def test_a_column_is_shown_where_one_is_known() -> None:
    at = Finding(
        "missing-description",
        "info",
        "field 'x' has no description",
        "POST /x",
        "x",
        file="a.apifox.json",
        line=1,
        pointer="/apiCollection/0/items/0/api",
        column=4140,
    )
    result = Outcome("lint", [at], "error")
    assert findings.render("text", result).startswith(
        "a.apifox.json:1:4140: info: POST /x: field 'x' has no description [missing-description] (at /apiCollection/0/items/0/api)"
    )
    github = findings.render("github", result).splitlines()[0]
    assert ANNOTATION.match(github) and github.startswith(
        "::notice file=a.apifox.json,line=1,col=4140,title="
    )
    assert github.endswith("(at /apiCollection/0/items/0/api)")
    assert json.loads(findings.render("json", result))["findings"][0]["column"] == 4140
    assert "| a.apifox.json:1:4140 |" in findings.render("markdown", result)
    assert "a.apifox.json:1:4140: info:" in findings.render("junit", result)


def test_exit_codes() -> None:
    assert outcome("breaking").exit_code == findings.EXIT_FINDINGS == 100
    assert Outcome("diff", [FINDINGS[1]], "breaking").exit_code == 0
    assert Outcome("diff", [FINDINGS[1]], "info").exit_code == 100


def test_several_formats_in_one_run_some_to_files(
    seed_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "out" / "lint.xml"
    code = cli.main(
        [
            "lint",
            "--config",
            str(seed_project),
            "--format",
            "github",
            "--format",
            f"junit={report}",
            "--format",
            f"json={tmp_path / 'l.json'}",
        ]
    )
    assert code == 0
    assert all(ANNOTATION.match(line) for line in capsys.readouterr().out.splitlines())
    assert ElementTree.parse(report).getroot().tag == "testsuites"
    assert (
        json.loads((tmp_path / "l.json").read_text(encoding="utf-8"))["command"]
        == "lint"
    )
    assert (
        run_cli("lint", "--format", "yaml", "--config", str(seed_project)).returncode
        == 2
    )  # argparse: unknown format


def test_check_reports_stale_files_in_every_format(seed_project: Path) -> None:
    assert run_cli("generate", "--config", str(seed_project)).returncode == 0
    spec = seed_project.parent / "specs" / "flux-lora.txt"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("范围值:1-4", "范围值:1-2"),
        encoding="utf-8",
    )
    (seed_project.parent / "generated" / "stray.txt").write_text("x\n")
    text = run_cli("check", "--config", str(seed_project), "--show-diff")
    assert text.returncode == 1
    assert re.search(
        r"^changed: generated/registry\.json \(\+\d+ -\d+\)$", text.stdout, re.M
    )
    assert "extra: generated/stray.txt (+0 -1)" in text.stdout
    assert re.search(r'^-\s+"maximum": 4,?$', text.stdout, re.M) and re.search(
        r'^\+\s+"maximum": 2,?$', text.stdout, re.M
    )
    done = run_cli("check", "--config", str(seed_project), "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    kinds = {f["rule"] for f in document["findings"]}
    assert kinds == {"generated-changed", "generated-extra"}
    changed = next(
        f for f in document["findings"] if f["file"] == "generated/registry.json"
    )
    assert (
        changed["details"]["added"] >= 1
        and changed["details"]["removed"] >= 1
        and changed["line"] >= 1
    )
    annotations = run_cli(
        "check", "--config", str(seed_project), "--format", "github"
    ).stdout.splitlines()
    assert all(ANNOTATION.match(line) for line in annotations)
    assert any(
        line.startswith("::error file=generated/registry.json,line=")
        for line in annotations
    )
    junit = run_cli("check", "--config", str(seed_project), "--format", "junit").stdout
    assert int(ElementTree.fromstring(junit).get("failures")) == len(
        document["findings"]
    )


@pytest.mark.parametrize(
    "pattern, min_length",
    [
        ("[a-fA-F0-9]{64}", 0),
        (r"^1[3-9]\d{9}$", 0),
        (r"^[^@]+@[^@]+\.[a-z]{2,}$", 0),
        (r"^(foo|bar)[a-z]*$", 6),
    ],
)
def test_a_string_built_for_a_pattern_matches_it(pattern: str, min_length: int) -> None:
    from generator import samples

    schema = {"type": "string", "pattern": pattern, "minLength": min_length}
    assert samples.is_valid(samples.build(schema, {}), schema, {})


def test_a_pattern_beyond_the_builder_gives_no_text() -> None:
    from generator.samples import pattern_text

    assert pattern_text("(?=a)b") == ""


def test_openapi_3_0_boolean_exclusive_bounds_become_numeric() -> None:
    from generator.readers.refs import _exclusive_bounds

    node = {"type": "number", "minimum": 0, "exclusiveMinimum": True}
    node |= {"maximum": 9, "exclusiveMaximum": False}
    _exclusive_bounds(node)
    assert node == {"type": "number", "exclusiveMinimum": 0, "maximum": 9}


def test_same_shaped_discriminated_branches_stay_distinct_models() -> None:
    from generator import models

    branch = {"type": "object", "properties": {"kind": {"type": "string"}}}
    union = {
        "discriminator": {
            "propertyName": "kind",
            "mapping": {
                "a": "#/components/schemas/A",
                "b": "#/components/schemas/B",
            },
        },
        "oneOf": [
            {"$ref": "#/components/schemas/A"},
            {"$ref": "#/components/schemas/B"},
        ],
    }
    text = models._generate({"A": branch, "B": branch, "U": union})
    assert "class B(BaseModel):" in text and 'Literal["b"]' in text


def test_bare_containers_from_the_model_generator_get_type_arguments() -> None:
    from generator import models

    text = models._parametrize_bare_containers(
        'from __future__ import annotations\n\nclass R(RootModel[list]):\n    root: list\n    """a list"""\n'
    )
    assert "RootModel[list[Any]]" in text and "root: list[Any]" in text
    assert '"""a list"""' in text and "from typing import Any" in text
