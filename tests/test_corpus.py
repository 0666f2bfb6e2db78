"""Every real Apifox export in tests/fixtures/apifox (copied from public repositories, see its
SOURCES.md) goes the whole way, as a user runs it: it reads, its registry validates, it
generates, the package imports and passes mypy --strict, and its own contract tests pass
against its own mock server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.readers.openapi import OAS_METHODS
from tests.helpers import ROOT, run_cli
from tests.oracles import PEER_DOCUMENTS, document_id, known_gap

FIXTURES = ROOT / "tests" / "fixtures" / "apifox"
EXPORTS = sorted(
    p for p in FIXTURES.rglob("*") if p.is_file() and p.name != "SOURCES.md"
)
# The second set (tests/fixtures/apifox-2, see its SOURCES.md) and openapi-python-client's own
# test documents go the same way.
SECOND = ROOT / "tests" / "fixtures" / "apifox-2"
MORE = sorted(
    p for p in SECOND.rglob("*") if p.is_file() and p.name != "SOURCES.md"
) + list(PEER_DOCUMENTS)


def describes_operations(document: Path) -> bool:
    """False for an OpenAPI document whose `paths` hold no operation (a components-only
    document): the generator refuses it. Other formats are taken to describe endpoints.
    """
    if document.suffix not in (".json", ".yaml", ".yml"):
        return True
    import yaml

    spec = yaml.safe_load(document.read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or not ("openapi" in spec or "swagger" in spec):
        return True
    paths = spec.get("paths") or {}
    return any(
        isinstance(item, dict) and any(method in item for method in OAS_METHODS)
        for item in paths.values()
    )


def _param(export: Path) -> Any:
    reason = known_gap(export, "corpus")
    marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
    return pytest.param(export, id=document_id(export), marks=marks)


def generate(
    inputs: list[Path], out: Path, package: str = "corpus_api"
) -> subprocess.CompletedProcess[str]:
    arguments = ["generate", "--out", str(out), "--package", package, "--no-cache"]
    for path in inputs:
        arguments += ["--input", str(path)]
    return run_cli(*arguments, cwd=out.parent)


@pytest.mark.parametrize(
    "export",
    [pytest.param(p, id=str(p.relative_to(FIXTURES))) for p in EXPORTS]
    + [_param(p) for p in MORE],
)
def test_export_generates_a_client_that_type_checks_and_passes_its_contract_tests(
    export: Path, tmp_path: Path
) -> None:
    out = tmp_path / "generated"
    done = generate([export], out)
    if not describes_operations(export):
        # Nothing to generate from: a located refusal (exit 2), nothing written.
        assert done.returncode == 2, done.stderr
        assert export.name in done.stderr, done.stderr
        assert "error: the inputs describe no endpoint" in done.stderr, done.stderr
        assert not out.exists()
        return
    assert done.returncode == 0, done.stderr
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    assert registry["endpoints"], "no endpoint was read"
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "corpus_api",
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout[-3000:]
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "generated/tests",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout.splitlines()[-1]


def test_several_inputs_make_one_package(tmp_path: Path) -> None:
    exports = [
        FIXTURES / "markdown" / "KinhRelay-HTTP-API.md",
        FIXTURES / "openapi" / "kubernetes_management_system.openapi.json",
    ]
    out = tmp_path / "generated"
    assert generate(exports, out, package="two_api").returncode == 0
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    assert {e["source"]["file"] for e in registry["endpoints"]} == {
        p.name for p in exports
    }
    attributes = [e["names"]["attribute"] for e in registry["endpoints"]]
    assert len(attributes) == len(set(attributes))


def test_names_survive_reordering_the_export(tmp_path: Path) -> None:
    """Names come from stable keys: reversing the order of operations renames nothing."""
    source = json.loads(
        (FIXTURES / "openapi" / "TaleVoice.默认模块.openapi.json").read_text(
            encoding="utf-8"
        )
    )
    reordered = {**source, "paths": dict(reversed(list(source["paths"].items())))}
    names = []
    for index, document in enumerate((source, reordered)):
        spec = tmp_path / f"spec{index}.json"
        spec.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        out = tmp_path / f"out{index}"
        assert generate([spec], out).returncode == 0
        registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
        names.append({e["key"] + e["id"]: e["names"] for e in registry["endpoints"]})
    assert names[0] == names[1]


def test_duplicate_endpoints_get_distinct_names_and_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    done = generate([FIXTURES / "native" / "go_ws_sh.apifox.json"], out)
    assert done.returncode == 0
    assert "duplicate endpoint POST /tokens" in done.stderr
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    tokens = [
        e
        for e in registry["endpoints"]
        if e["method"] == "POST" and e["path"] == "/tokens"
    ]
    assert len(tokens) == 3 and len({e["names"]["attribute"] for e in tokens}) == 3
    assert len({e["id"] for e in tokens}) == 3


def test_lint_and_diff_take_an_export_file_directly(tmp_path: Path) -> None:
    export = FIXTURES / "openapi" / "kubernetes_management_system.openapi.json"
    lint = run_cli("lint", str(export), "--format", "json", cwd=tmp_path)
    # its /ping documents an object and shows the text "pong": an error of the docs
    assert lint.returncode == 100, lint.stderr
    findings = json.loads(lint.stdout)["findings"]
    assert {(f["rule"], f["endpoint"]) for f in findings if f["level"] == "error"} == {
        ("type-contradicted-by-example", "GET /api/v1/platform/ping"),
        ("type-contradicted-by-example", "GET /api/v1/platform/address"),
    }
    changed = json.loads(export.read_text(encoding="utf-8"))
    del changed["paths"]["/api/v1/platform/ping"]
    newer = tmp_path / "newer.openapi.json"
    newer.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    diff = run_cli("diff", str(export), str(newer), "--format", "json", cwd=tmp_path)
    assert diff.returncode == 100
    assert [f["rule"] for f in json.loads(diff.stdout)["findings"]] == [
        "endpoint-removed"
    ]
