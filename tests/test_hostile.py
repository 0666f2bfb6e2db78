"""Hostile names and text in a spec generate code that compiles, imports without side effects,
keeps every wire name exactly, and passes its own contract tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli, write_project

CANARY = "specgen_canary"
EVIL = f"__import__('os').system('touch {CANARY}')"
HOSTILE_FIELDS = {
    "class": {"type": "integer", "description": "范围值:1-4"},
    "from": {"type": "string", "description": '"""; ' + EVIL + " #"},
    'a"b': {"type": "string", "description": '默认值:"q\\"x"'},
    '"""': {"type": "string", "description": "{% raw %} {{ 7*7 }} \\ ' \u202e"},
    "{{x}}": {"type": "string", "description": "支持:{x}、{{y}}、a'b"},
    "self": {"type": "number", "description": "Default: 1.5"},
    "timeout": {"type": "boolean"},
    "用户名": {
        "type": "string",
        "description": "\r\n# comment\n\u2028 ``` <script>alert(1)</script>",
    },
}
PATH = "/hostile/a'b\"c/{{x}}"


def hostile_spec() -> str:
    body = {
        "type": "application/json",
        "jsonSchema": {
            "type": "object",
            "properties": HOSTILE_FIELDS,
            "required": ["class", "from"],
        },
        "examples": [
            {"value": json.dumps({"class": 2, "from": EVIL, "用户名": "陳老師"})}
        ],
    }
    responses = [
        {
            "id": 1,
            "name": "ok",
            "code": 200,
            "contentType": "json",
            "jsonSchema": {"type": "object", "properties": {}},
        }
    ]
    envelope = {
        "status": "IN_QUEUE",
        "request_id": "r",
        "response_url": "u",
        "status_url": "s",
        "cancel_url": "c",
    }
    examples = [{"responseId": 1, "name": "ok", "data": json.dumps(envelope)}]
    return "\n".join(
        [
            '"""' + EVIL,
            f"POST {PATH}",
            "说明",
            '""" + ' + EVIL + " {{ 7*7 }}",
            "概览",
            "| Method | POST |",
            "|---|---|",
            f"| Path | {PATH} |",
            "参数",
            json.dumps({"path": [], "query": []}),
            "请求体",
            json.dumps(body, ensure_ascii=False),
            "响应",
            json.dumps(responses),
            "响应示例",
            json.dumps(examples),
        ]
    )


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    pyproject = write_project(
        root, {"hostile.txt": hostile_spec()}, package="hostile_api"
    )
    done = run_cli("generate", "--config", str(pyproject))
    assert done.returncode == 0, done.stderr
    return root


def test_generated_code_imports_without_side_effects(hostile_project: Path) -> None:
    out = hostile_project / "generated"
    for path in out.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    script = "import hostile_api, hostile_api.testing, hostile_api.client, hostile_api.models"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=out, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert not (out / CANARY).exists() and not (hostile_project / CANARY).exists()


def test_names_are_rebuilt_and_wire_names_kept(hostile_project: Path) -> None:
    registry = json.loads(
        (hostile_project / "generated" / "registry.json").read_text(encoding="utf-8")
    )
    fields = {
        f["name"]: f["python_name"]
        for f in registry["endpoints"][0]["request"]["fields"]
    }
    assert fields == {
        "class": "class_",
        "from": "from_",
        'a"b': "a_b",
        '"""': "field",
        "{{x}}": "x",
        "self": "self_",
        "timeout": "timeout_",
        "用户名": "field_2",
    }
    script = (
        "from hostile_api import Client\n"
        "from hostile_api.testing import MockServer\n"
        "with MockServer() as s, Client(key='k', base_url=s.url) as c:\n"
        "    c.hostile_a_b_c_x.submit(class_=2, from_='x', a_b='q', field='\"\"\"', x='a\\'b', self_=2.0, timeout_=True, field_2='陳')\n"
        "    print(s.requests[-1].path)\n"
        "    print(sorted(s.requests[-1].json))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=hostile_project / "generated",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    path, keys = done.stdout.splitlines()
    assert path == PATH
    assert eval(keys) == sorted(HOSTILE_FIELDS)


def test_hostile_project_passes_its_own_contract_tests(hostile_project: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "generated/tests",
        ],
        cwd=hostile_project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert not (hostile_project / CANARY).exists()


def test_docs_escape_html_and_pipes(hostile_project: Path) -> None:
    page = next((hostile_project / "generated" / "docs").glob("hostile*.md")).read_text(
        encoding="utf-8"
    )
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_repo_root_is_untouched() -> None:
    assert not (ROOT / CANARY).exists()
