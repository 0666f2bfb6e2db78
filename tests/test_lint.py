"""`specgen lint`: one spec edit per rule on copies of the seeds, with the finding, level and exit
status; what lint says about the seeds themselves; and the [tool.specgen.lint] settings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import cli, lint
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
