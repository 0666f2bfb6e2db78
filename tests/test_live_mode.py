"""Live mode of the generated contract tests for plain (REST) endpoints: with SPECGEN_LIVE=1 each
endpoint's `live` test calls the service at <PACKAGE>_BASE_URL with the credentials of each
security scheme's environment variable; read-only calls only, unless SPECGEN_LIVE_WRITES=1.
The "live service" here is the package's own MockServer on loopback, started by this test.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.helpers import run_cli
from tests.test_faults import REST_DOCUMENT

KEY = "live-secret-4c1b"
LIVE_TESTS = {
    "get_item": "GET",
    "delete_item": "DELETE",
    "create_item": "POST",
    "rename_item": "PATCH",
}


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, ModuleType]]:
    root = tmp_path_factory.mktemp("live")
    (root / "live.openapi.yaml").write_text(REST_DOCUMENT, encoding="utf-8")
    out = root / "generated"
    done = run_cli(
        "generate",
        "--input",
        str(root / "live.openapi.yaml"),
        "--out",
        str(out),
        "--package",
        "live_api",
        "--no-cache",
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(out))
    try:
        yield out, importlib.import_module("live_api.testing")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "live_api"]:
            del sys.modules[name]


def contract_tests(out: Path, **env: str) -> dict[str, str]:
    """Run the generated `live` tests; {client method: passed | skipped | failed}."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SPECGEN_", "LIVE_API_"))
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-v",
            "-rs",
            "-k",
            "live",
            "tests",
        ],
        cwd=out,
        capture_output=True,
        text=True,
        env={**clean, "PYTHONDONTWRITEBYTECODE": "1", **env},
        timeout=300,
    )
    outcomes: dict[str, str] = {}
    for line in done.stdout.splitlines():
        for name in LIVE_TESTS:
            if f"test_{name}.py::test_live_service_answers_as_documented" in line:
                outcomes[name] = next(
                    (
                        w.lower()
                        for w in ("PASSED", "SKIPPED", "FAILED", "ERROR")
                        if w in line
                    ),
                    "?",
                )
    assert set(outcomes) == set(LIVE_TESTS), done.stdout[-3000:]
    return outcomes


def methods_seen(server: Any) -> list[str]:
    return sorted(request.method for request in server.requests)


def test_live_tests_are_skipped_unless_configured(
    project: tuple[Path, ModuleType],
) -> None:
    out, testing = project
    with testing.MockServer(api_key=KEY) as server:
        outcomes = contract_tests(
            out, LIVE_API_BASE_URL=server.url, LIVE_API_BEARER_AUTH=KEY
        )
        assert set(outcomes.values()) == {"skipped"}
        assert server.requests == []


def test_live_mode_sends_only_read_only_calls_by_default(
    project: tuple[Path, ModuleType],
) -> None:
    out, testing = project
    with testing.MockServer(api_key=KEY) as server:
        outcomes = contract_tests(
            out,
            SPECGEN_LIVE="1",
            LIVE_API_BASE_URL=server.url,
            LIVE_API_BEARER_AUTH=KEY,
        )
        assert outcomes == {
            "get_item": "passed",
            "delete_item": "skipped",
            "create_item": "skipped",
            "rename_item": "skipped",
        }
        assert methods_seen(server) == ["GET"]
        assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_live_writes_need_their_own_opt_in(project: tuple[Path, ModuleType]) -> None:
    out, testing = project
    with testing.MockServer(api_key=KEY) as server:
        outcomes = contract_tests(
            out,
            SPECGEN_LIVE="1",
            SPECGEN_LIVE_WRITES="1",
            LIVE_API_BASE_URL=server.url,
            LIVE_API_BEARER_AUTH=KEY,
        )
        assert set(outcomes.values()) == {"passed"}
        assert methods_seen(server) == ["DELETE", "GET", "PATCH", "POST"]


def test_an_undocumented_live_answer_fails_the_test(
    project: tuple[Path, ModuleType],
) -> None:
    """A service that refuses the credentials answers 401, which the document does not name."""
    out, testing = project
    with testing.MockServer(api_key=KEY) as server:
        outcomes = contract_tests(
            out,
            SPECGEN_LIVE="1",
            LIVE_API_BASE_URL=server.url,
            LIVE_API_BEARER_AUTH="wrong",
        )
        assert outcomes["get_item"] == "failed"
        assert methods_seen(server) == ["GET"]
