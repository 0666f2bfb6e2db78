"""`specgen diff`: one spec edit per rule, applied to copies of the seeds, with the finding, level and
exit status it must give; then `--base` against a real git repository, in every format.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator import cli, diff
from tests.helpers import ROOT, run_cli, seed_specs, write_project

FL, FI, FD, QW, KX = (
    "flux-lora.txt",
    "flux-lora-inpainting.txt",
    "flux-1-dev-image-to-image.txt",
    "qwen-image-edit-lora.txt",
    "flux-pro-kontext.txt",
)
OVERLAY = "overlays/fal-outputs.yaml"
Edit = tuple[
    str, str, str
]  # (file, old text, new text); new text None removes the file

SEED_PARAM = '{ "query": [ { "name": "seed", "required": %s, "description": "种子", "schema": { "type": "%s" } } ], "path"'
ERROR_RESPONSE = '"headers": [], "oasExtensions": "" }, { "id": 1, "name": "错误", "code": 422, "contentType": "json", "jsonSchema": {}, "headers": [] } ]'
LORAS = (
    '"properties": { "loras": { "type": "array", "description": "LoRA 列表", "items": { "type": "object", "properties": '
    '{ "path": { "type": "string", "description": "LoRA 地址" }, "scale": { "type": "number", "description": "范围值:0-%d" } }, '
    '"required": [ "path" ] } }, "prompt": {'
)


@dataclass
class Case:
    rule: str
    level: str
    field: str
    edits: list[Edit]
    exit: int
    endpoint: str = "POST /fal-ai/flux-lora"
    before: list[Edit] | None = None
    fail_on: str = "breaking"


def case(
    rule: str, level: str, fld: str, edits: list[Edit], exit: int, **more: Any
) -> Any:
    return pytest.param(
        Case(rule, level, fld, edits, exit, **more),
        id=f"{rule}" + (f"-{more['fail_on']}" if "fail_on" in more else ""),
    )


CASES = [
    case(
        "endpoint-added",
        "info",
        "",
        [("flux-lora-v2.txt", "", "<copy-renamed>")],
        0,
        endpoint="POST /fal-ai/flux-lora-v2",
    ),
    case("endpoint-removed", "breaking", "", [(FL, "", "<delete>")], 100),
    case(
        "endpoint-path-changed",
        "breaking",
        "",
        [(FL, "/fal-ai/flux-lora", "<rename-all>")],
        100,
        endpoint="POST /fal-ai/flux-lora-v2",
    ),
    case(
        "endpoint-method-changed",
        "breaking",
        "",
        [
            (FL, "POST /fal-ai/flux-lora", "PUT /fal-ai/flux-lora"),
            (FL, "| Method | POST |", "| Method | PUT |"),
        ],
        100,
        endpoint="PUT /fal-ai/flux-lora",
    ),
    case(
        "endpoint-renamed",
        "breaking",
        "",
        [("flux-lora-get.txt", "", "<copy-as-get>")],
        100,
    ),
    case(
        "endpoint-queue-removed",
        "breaking",
        "",
        [(FL, r"\"request_id\": \"07e0be22-3380-4699-a377-48729443435c\",\r\n ", "")],
        100,
    ),
    case(
        "request-content-type-changed",
        "breaking",
        "",
        [
            (
                FL,
                '{ "type": "application/json", "parameters"',
                '{ "type": "multipart/form-data", "parameters"',
            )
        ],
        100,
    ),
    case(
        "request-field-added",
        "info",
        "seed",
        [
            (
                FL,
                '"properties": { "prompt": {',
                '"properties": { "seed": { "type": "integer", "description": "种子" }, "prompt": {',
            )
        ],
        0,
    ),
    case(
        "request-field-added-required",
        "breaking",
        "seed",
        [
            (
                FL,
                '"properties": { "prompt": {',
                '"properties": { "seed": { "type": "integer", "description": "种子" }, "prompt": {',
            ),
            (FL, '"required": [ "prompt" ]', '"required": [ "prompt", "seed" ]'),
        ],
        100,
    ),
    case(
        "request-field-removed",
        "breaking",
        "enable_safety_checker",
        [
            (
                FL,
                '"enable_safety_checker": { "type": "boolean", "description": "启用安全检查,默认值:true" }, ',
                "",
            )
        ],
        100,
    ),
    case(
        "request-field-became-required",
        "breaking",
        "num_images",
        [(FL, '"required": [ "prompt" ]', '"required": [ "prompt", "num_images" ]')],
        100,
    ),
    case(
        "request-field-became-optional",
        "info",
        "mask_url",
        [
            (
                FI,
                '"required": [ "prompt", "image_url", "mask_url" ]',
                '"required": [ "prompt", "image_url" ]',
            )
        ],
        0,
        endpoint="POST /fal-ai/flux-lora/inpainting",
    ),
    case(
        "request-type-changed",
        "breaking",
        "guidance_scale",
        [
            (
                FL,
                '"guidance_scale": { "type": "number"',
                '"guidance_scale": { "type": "integer"',
            )
        ],
        100,
    ),
    case(
        "request-type-widened",
        "info",
        "guidance_scale",
        [
            (
                QW,
                '"guidance_scale": {\n        "type": "integer"',
                '"guidance_scale": {\n        "type": "number"',
            )
        ],
        0,
        endpoint="POST /fal-ai/qwen-image-edit-lora",
    ),
    case(
        "request-format-changed",
        "warning",
        "image_url",
        [
            (
                FI,
                'image_url": { "type": "string"',
                'image_url": { "type": "string", "format": "uri"',
            )
        ],
        0,
        endpoint="POST /fal-ai/flux-lora/inpainting",
    ),
    case(
        "request-enum-value-removed",
        "breaking",
        "output_format",
        [(FD, "支持default、png、jpeg", "支持default、jpeg")],
        100,
        endpoint="POST /fal-ai/flux-1/dev/image-to-image",
    ),
    case(
        "request-enum-value-added",
        "info",
        "output_format",
        [(FL, "支持:jpeg、png", "支持:jpeg、png、webp")],
        0,
    ),
    case(
        "request-enum-added",
        "breaking",
        "prompt",
        [(KX, '"生成图像的提示"', '"生成图像的提示,枚举值:a、b"')],
        100,
        endpoint="POST /fal-ai/flux-pro/kontext",
    ),
    case(
        "request-range-narrowed",
        "breaking",
        "num_images",
        [(FL, "范围值:1-4", "范围值:1-2")],
        100,
    ),
    case(
        "request-range-widened",
        "info",
        "num_images",
        [(FL, "范围值:1-4", "范围值:1-8")],
        0,
    ),
    case(
        "request-range-narrowed",
        "breaking",
        "loras[].scale",
        [(FL, '"properties": { "prompt": {', LORAS % 2)],
        100,
        before=[(FL, '"properties": { "prompt": {', LORAS % 4)],
    ),
    case(
        "request-default-changed",
        "warning",
        "enable_safety_checker",
        [(FL, "启用安全检查,默认值:true", "启用安全检查,默认值:false")],
        0,
    ),
    case(
        "request-default-changed",
        "warning",
        "enable_safety_checker",
        [(FL, "启用安全检查,默认值:true", "启用安全检查,默认值:false")],
        100,
        fail_on="warning",
    ),
    case(
        "request-pattern-changed",
        "warning",
        "prompt",
        [
            (
                FL,
                '"description": "提示词" }',
                '"description": "提示词", "pattern": "^[a-z ]+$" }',
            )
        ],
        0,
    ),
    case(
        "request-file-types-narrowed",
        "breaking",
        "image_url",
        [
            (
                FI,
                "接受的文件类型:jpg、jpeg、png、webp、gif、avif",
                "接受的文件类型:jpg、jpeg、png",
            )
        ],
        100,
        endpoint="POST /fal-ai/flux-lora/inpainting",
    ),
    case(
        "parameter-added",
        "info",
        "query:seed",
        [(FL, '{ "query": [], "path"', SEED_PARAM % ("false", "integer"))],
        0,
    ),
    case(
        "parameter-added-required",
        "breaking",
        "query:seed",
        [(FL, '{ "query": [], "path"', SEED_PARAM % ("true", "integer"))],
        100,
    ),
    case(
        "parameter-removed",
        "breaking",
        "query:seed",
        [],
        100,
        before=[(FL, '{ "query": [], "path"', SEED_PARAM % ("false", "integer"))],
    ),
    case(
        "parameter-became-required",
        "breaking",
        "query:seed",
        [(FL, '{ "query": [], "path"', SEED_PARAM % ("true", "integer"))],
        100,
        before=[(FL, '{ "query": [], "path"', SEED_PARAM % ("false", "integer"))],
    ),
    case(
        "parameter-type-changed",
        "breaking",
        "query:seed",
        [(FL, '{ "query": [], "path"', SEED_PARAM % ("false", "string"))],
        100,
        before=[(FL, '{ "query": [], "path"', SEED_PARAM % ("false", "integer"))],
    ),
    case(
        "response-status-added",
        "info",
        "",
        [(FL, '"headers": [], "oasExtensions": "" } ]', ERROR_RESPONSE)],
        0,
    ),
    case(
        "response-status-removed",
        "warning",
        "",
        [],
        0,
        before=[(FL, '"headers": [], "oasExtensions": "" } ]', ERROR_RESPONSE)],
    ),
    case(
        "response-content-type-changed",
        "breaking",
        "",
        [
            (
                FL,
                '"code": 200, "contentType": "json"',
                '"code": 200, "contentType": "xml"',
            )
        ],
        100,
    ),
    case(
        "response-field-added",
        "info",
        "eta",
        [(FL, r"\"queue_position\": 0", r"\"queue_position\": 0,\r\n \"eta\": 3")],
        0,
    ),
    case(
        "response-field-removed",
        "breaking",
        "queue_position",
        [(FL, r",\r\n \"queue_position\": 0", "")],
        100,
    ),
    case(
        "response-type-changed",
        "breaking",
        "queue_position",
        [(FL, r"\"queue_position\": 0", r"\"queue_position\": \"0\"")],
        100,
    ),
    case(
        "response-field-became-optional",
        "warning",
        "images[].url",
        [(OVERLAY, "required: [url]", "required: []")],
        0,
    ),
    case(
        "response-type-changed",
        "breaking",
        "seed",
        [
            (
                OVERLAY,
                "seed:\n            type: integer",
                "seed:\n            type: string",
            )
        ],
        100,
    ),
]


def make_project(root: Path, edits: list[Edit]) -> Path:
    """The seeds and the output overlay in a project of their own, with `edits` applied."""
    pyproject = write_project(
        root, seed_specs(), package="fal_api", prefixes=("/fal-ai/",)
    )
    (root / "overlays").mkdir()
    (root / OVERLAY).write_bytes(
        (ROOT / "specs" / "overlays" / "fal-outputs.yaml").read_bytes()
    )
    pyproject.write_text(pyproject.read_text() + 'overlays = ["overlays/*.yaml"]\n')
    for name, old, new in edits:
        target = root / name if name.startswith("overlays/") else root / "specs" / name
        seed = (root / "specs" / FL).read_text(encoding="utf-8")
        if new == "<delete>":
            target.unlink()
        elif new == "<copy>":
            target.write_text(seed, encoding="utf-8")
        elif new == "<copy-renamed>":
            target.write_text(
                seed.replace("/fal-ai/flux-lora", "/fal-ai/flux-lora-v2"),
                encoding="utf-8",
            )
        elif new == "<copy-as-get>":
            target.write_text(
                seed.replace("POST /fal-ai/flux-lora", "GET /fal-ai/flux-lora").replace(
                    "| Method | POST |", "| Method | GET |"
                ),
                encoding="utf-8",
            )
        elif new == "<rename-all>":
            target.write_text(
                target.read_text(encoding="utf-8").replace(old, "/fal-ai/flux-lora-v2"),
                encoding="utf-8",
            )
        else:
            text = target.read_text(encoding="utf-8")
            assert old in text, f"the seed {name} no longer contains {old!r}"
            target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return pyproject


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("spec", CASES)
def test_each_rule(
    spec: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = make_project(tmp_path / "old", spec.before or [])
    new = make_project(tmp_path / "new", spec.edits)
    code, out = run_main(
        capsys,
        "diff",
        str(old),
        str(new),
        "--config",
        str(new),
        "--format",
        "json",
        "--fail-on",
        spec.fail_on,
    )
    report = json.loads(out)
    hits = [
        f
        for f in report["findings"]
        if f["rule"] == spec.rule
        and f["field"] == spec.field
        and f["endpoint"] == spec.endpoint
    ]
    assert (
        hits
    ), f"no {spec.rule} on {spec.endpoint} {spec.field!r}; got {[(f['rule'], f['endpoint'], f['field']) for f in report['findings']]}"
    assert hits[0]["level"] == spec.level
    assert code == spec.exit == report["exit_code"]
    assert hits[0]["file"].startswith(("specs/", "overlays/")) and hits[0]["line"] >= 1
    assert spec.rule in diff.RULES


def test_no_change_is_clean_and_values_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = make_project(tmp_path / "a", [])
    code, out = run_main(
        capsys,
        "diff",
        str(same),
        str(make_project(tmp_path / "b", [])),
        "--config",
        str(same),
    )
    assert code == 0 and "0 breaking, 0 warnings, 0 info" in out
    narrowed = make_project(tmp_path / "c", [(FL, "范围值:1-4", "范围值:1-2")])
    code, out = run_main(
        capsys,
        "diff",
        str(same),
        str(narrowed),
        "--config",
        str(same),
        "--format",
        "json",
    )
    (finding,) = json.loads(out)["findings"]
    assert (finding["old"], finding["new"], finding["pointer"]) == (
        4,
        2,
        "/requestBody/jsonSchema/properties/num_images",
    )
    assert finding["line"] == 15  # the one-line request body of flux-lora.txt


def test_sides_can_be_registries_and_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = make_project(tmp_path / "old", [])
    new = make_project(tmp_path / "new", [(FL, "范围值:1-4", "范围值:1-2")])
    built = tmp_path / "old-registry.json"
    built.write_text(
        json.dumps(diff.load_side(str(old), None).registry), encoding="utf-8"
    )
    code, out = run_main(
        capsys, "diff", str(built), str(new.parent / "specs"), "--config", str(new)
    )
    assert code == 100 and "[request-range-narrowed]" in out
    code, out = run_main(
        capsys, "diff", str(tmp_path / "nothing-here"), str(new), "--config", str(new)
    )
    assert code == 1


def test_settings_ignore_and_downgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = make_project(tmp_path / "old", [])
    new = make_project(tmp_path / "new", [(FL, "范围值:1-4", "范围值:1-2")])
    text = new.read_text()
    new.write_text(
        text
        + '\n[tool.specgen.diff]\nseverity = { request-range-narrowed = "warning" }\n'
    )
    code, out = run_main(capsys, "diff", str(old), str(new), "--config", str(new))
    assert code == 0 and "warning: POST /fal-ai/flux-lora" in out
    new.write_text(
        text
        + '\n[tool.specgen.diff.ignore_endpoints]\n"POST /fal-ai/flux-lora" = ["request-range-narrowed"]\n'
    )
    assert run_main(capsys, "diff", str(old), str(new), "--config", str(new))[0] == 0
    new.write_text(text + '\n[tool.specgen.diff]\nignore = ["no-such-rule"]\n')
    assert run_main(capsys, "diff", str(old), str(new), "--config", str(new))[0] == 1


def test_version_suggestion() -> None:
    def finding(rule: str) -> Any:
        return diff.Finding(rule, diff.RULES[rule], "m")

    assert (
        diff.suggestion(
            [finding("request-range-narrowed"), finding("endpoint-added")],
            True,
            "0.1.0",
        )["next"]
        == "1.0.0"
    )
    assert diff.suggestion([finding("endpoint-added")], True, "0.1.0") == {
        "current": "0.1.0",
        "bump": "minor",
        "next": "0.2.0",
    }
    assert (
        diff.suggestion([finding("request-default-changed")], True, "1.2.3")["next"]
        == "1.2.4"
    )
    assert diff.suggestion([], True, "1.2.3")["bump"] == "patch"
    assert diff.suggestion([], False, "1.2.3")["next"] == "1.2.3"


# --- against git --------------------------------------------------------------------------------


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the seeds and a pyproject, committed; returns the pyproject."""
    pyproject = make_project(tmp_path, [])
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "seeds")
    return pyproject


def edit(pyproject: Path, name: str, old: str, new: str) -> None:
    spec = pyproject.parent / "specs" / name
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_base_head_exits_100_with_the_rule_ids_in_every_format(repo: Path) -> None:
    edit(repo, FL, "范围值:1-4", "范围值:1-2")
    edit(repo, FD, "支持default、png、jpeg", "支持default、jpeg")
    edit(repo, FL, '"required": [ "prompt" ]', '"required": [ "prompt", "num_images" ]')
    expected = [
        "request-range-narrowed",
        "request-enum-value-removed",
        "request-field-became-required",
    ]
    for kind in ("text", "json", "markdown", "junit", "github"):
        done = run_cli("diff", "--base", "HEAD", "--format", kind, cwd=repo.parent)
        assert done.returncode == 100, (kind, done.stdout, done.stderr)
        for rule in expected:
            assert rule in done.stdout, (kind, rule)
    assert (repo.parent / "specs" / FL).read_text(encoding="utf-8").count(
        "范围值:1-2"
    ) == 1, "diff touched the working tree"


def test_an_additive_change_exits_0_and_suggests_a_minor_version(repo: Path) -> None:
    edit(repo, FL, "支持:jpeg、png", "支持:jpeg、png、webp")
    done = run_cli("diff", "--base", "HEAD", "--suggest-version", cwd=repo.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[request-enum-value-added]" in done.stdout
    assert "suggested version: 0.2.0 (minor; current 0.1.0)" in done.stdout


def test_base_without_specs_lists_everything_as_added_and_bad_refs_fail(
    repo: Path,
) -> None:
    git(repo.parent, "rm", "-q", "-r", "--cached", "specs")
    git(repo.parent, "commit", "-q", "-m", "no specs yet")
    done = run_cli("diff", "--base", "HEAD", "--format", "json", cwd=repo.parent)
    assert done.returncode == 0
    assert {f["rule"] for f in json.loads(done.stdout)["findings"]} == {
        "endpoint-added"
    }
    bad = run_cli("diff", "--base", "no-such-ref", cwd=repo.parent)
    assert bad.returncode == 1 and "not a git commit or ref" in bad.stderr


def test_broken_specs_exit_1_with_diagnostics(repo: Path) -> None:
    edit(repo, FL, '{ "query": [], "path"', '{ "query": [, "path"')
    done = run_cli("diff", "--base", "HEAD", cwd=repo.parent)
    assert done.returncode == 1
    assert "specs/flux-lora.txt:13: error:" in done.stderr


def test_generate_writes_a_changelog_entry(repo: Path) -> None:
    assert run_cli("generate", "--changelog", cwd=repo.parent).returncode == 0
    first = (repo.parent / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## fal_api 0.1.0" in first
    edit(repo, FL, "支持:jpeg、png", "支持:jpeg、png、webp")
    done = run_cli("generate", "--changelog", cwd=repo.parent)
    assert (
        done.returncode == 0
        and "CHANGELOG.md: added fal_api 0.2.0 (minor" in done.stdout
    )
    log = (repo.parent / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.startswith("# Changelog\n\n## fal_api 0.2.0")
    assert "`request-enum-value-added`" in log and log.index("0.2.0") < log.index(
        "0.1.0"
    )
    assert (
        run_cli("generate", "--changelog", cwd=repo.parent).stdout.count("CHANGELOG")
        == 0
    ), "no change, no entry"


def test_diff_and_lint_have_help() -> None:
    for command in ("diff", "lint"):
        done = run_cli(command, "--help")
        assert (
            done.returncode == 0
            and "--format" in done.stdout
            and "--fail-on" in done.stdout
        )


def test_every_rule_id_is_documented_in_the_readme() -> None:
    from generator import lint

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## CI contract checks") :]
    missing = [
        rule
        for rule in [*diff.RULES, *lint.RULES, *cli.CHECK_RULES]
        if f"`{rule}`" not in section
    ]
    assert not missing


def test_shared_models_are_followed_through_refs_and_cycles() -> None:
    """Registries from OpenAPI-like inputs point into registry["schemas"] with `#/$defs/<Class>`."""
    from generator import lint
    from generator.findings import Locator

    def registry(maximum: int) -> dict[str, Any]:
        lora = {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "scale": {"type": "number", "maximum": maximum},
            },
        }
        node = {
            "type": "object",
            "description": "a tree",
            "properties": {"child": {"$ref": "#/$defs/Node"}},
        }
        body = {
            "allOf": [{"$ref": "#/$defs/Base"}],
            "properties": {
                "loras": {"type": "array", "items": {"$ref": "#/$defs/Lora"}}
            },
        }
        endpoint = {
            "id": "POST /x",
            "method": "POST",
            "path": "/x",
            "source": {"file": "x.yaml", "line": 1},
            "names": {"attribute": "x"},
            "parameters": [],
            "responses": [],
            "queue": None,
            "output_schema": None,
            "description": "d",
            "request": {
                "content_type": "application/json",
                "schema": {"$ref": "#/$defs/Input"},
                "fields": [],
                "examples": [{"loras": [{"scale": 9}]}],
            },
        }
        base = {
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node", "description": "the tree"}},
        }
        return {
            "endpoints": [endpoint],
            "warnings": [],
            "schemas": {"Input": body, "Lora": lora, "Node": node, "Base": base},
        }

    found = diff.compare(registry(4), registry(2))
    assert [(f.rule, f.field, f.old, f.new) for f in found] == [
        ("request-range-narrowed", "loras[].scale", 4, 2)
    ]
    assert diff.compare(registry(4), registry(4)) == []
    linted = {(f.rule, f.field) for f in lint.lint(registry(4), Locator(None))}
    assert (
        "example-violates-schema",
        "loras[].scale",
    ) in linted  # validated through the $defs
    assert ("missing-description", "loras[].path") in linted and (
        "missing-description",
        "tree",
    ) not in linted
