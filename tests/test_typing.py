"""Types survive `with`: inside `with Client() as client:` (and `async with AsyncClient()`),
mypy and pyright see the client's own type and the typed results; a misspelled keyword is an
error. Checked on the committed generated/ package."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

GENERATED = ROOT / "generated"

USER_CODE = """\
from fal_api import AsyncClient, Client


def sync_use() -> None:
    with Client(key="k") as client:
        reveal_type(client)
        reveal_type(client.flux_lora.run(prompt="a cat"))


async def async_use() -> None:
    async with AsyncClient(key="k") as client:
        reveal_type(client)
        reveal_type(await client.flux_lora.run(prompt="a cat"))


def typo() -> None:
    with Client(key="k") as client:
        client.flux_lora.run(promt="a cat")
"""


TYPO_LINE = (
    USER_CODE.splitlines().index('        client.flux_lora.run(promt="a cat")') + 1
)


@pytest.fixture
def user_code(tmp_path: Path) -> Path:
    path = tmp_path / "use.py"
    path.write_text(USER_CODE, encoding="utf-8")
    (tmp_path / "pyrightconfig.json").write_text(
        json.dumps({"extraPaths": [str(GENERATED)], "pythonVersion": "3.10"})
    )
    return path


def _tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or "")


def test_mypy_sees_the_client_and_the_result_inside_with(user_code: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--python-version",
            "3.10",
            str(user_code),
        ],
        cwd=user_code.parent,
        env={"MYPYPATH": str(GENERATED), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    notes = re.findall(r'Revealed type is "([^"]+)"', done.stdout)
    assert notes == [
        "fal_api.client.Client",
        "fal_api.models.FluxLoraOutput",
        "fal_api.client.AsyncClient",
        "fal_api.models.FluxLoraOutput",
    ], done.stdout
    assert 'Unexpected keyword argument "promt"' in done.stdout, done.stdout
    lines = re.findall(r"use\.py:(\d+): error:", done.stdout)
    assert lines and set(lines) == {str(TYPO_LINE)}, done.stdout


def test_pyright_sees_the_client_and_the_result_inside_with(user_code: Path) -> None:
    pyright = _tool("pyright")
    if not pyright:
        pytest.skip("pyright is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [pyright, "--outputjson", str(user_code)],
        cwd=user_code.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(done.stdout)
    shown = [
        d["message"]
        for d in report["generalDiagnostics"]
        if d["severity"] == "information"
    ]
    assert shown == [
        'Type of "client" is "Client"',
        'Type of "client.flux_lora.run(prompt="a cat")" is "FluxLoraOutput"',
        'Type of "client" is "AsyncClient"',
        'Type of "await client.flux_lora.run(prompt="a cat")" is "FluxLoraOutput"',
    ], shown
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert 'No parameter named "promt"' in [d["message"] for d in errors], errors
    assert {d["range"]["start"]["line"] + 1 for d in errors} == {TYPO_LINE}, errors
