"""Independent oracles for the generated REST clients and mocks (issue 9): what the documents are,
how a generated package is built and called, and the one list of client gaps still open.

Each oracle is a real third-party component: Prism (a mock server that validates every request
against the document), Schemathesis (a fuzzer that checks every answer of our MockServer against
the document) and openapi-python-client's own test documents.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.helpers import ROOT, run_cli

PEER = ROOT.parent / "shared" / "peer" / "openapi-python-client"
if (
    not PEER.is_dir()
):  # CI runs in a fresh clone with shared/ beside it; a worktree sits deeper
    PEER = next(
        (
            parent / "shared" / "peer" / "openapi-python-client"
            for parent in ROOT.parents
            if (parent / "shared" / "peer" / "openapi-python-client").is_dir()
        ),
        PEER,
    )
FIXTURES = ROOT / "tests" / "fixtures"
# The peer's documents that are valid OpenAPI (documents_with_errors/ are for issue 9 item 8).
PEER_DOCUMENTS = sorted(
    p for p in PEER.glob("*") if p.suffix in (".json", ".yaml", ".yml")
)
OPENAPI_DOCUMENTS = sorted(FIXTURES.glob("apifox*/openapi/*")) + PEER_DOCUMENTS
PRISM = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "prism"
PACKAGE = "oracle_api"
# Credentials the generated clients are given; whatever names the client takes them under.
CREDENTIALS = {
    "key": "test-key",
    "api_key": "test-key",
    "bearer_token": "test-token",
    "token": "test-token",
    "username": "user",
    "password": "secret",
}

# Findings that are not our code's fault (the document's, or an oracle's limit), each with its
# reason, in one place: file -> endpoint id -> reason. Anything not listed here fails its test.
AUTH = "item 1: security schemes are not read; the client sends `Authorization: Key`, not what the operation declares"
# The per-file corpus test (generate, mypy --strict, contract tests) of these files, under "corpus".
CORPUS = "item 4: `mypy --strict` fails on the generated models (defaults outside their type, discriminator literals, bare `list`), or their contract tests fail for the client reasons listed here"
SPEC_CONST = "the document uses `const`, which OpenAPI 3.0 does not have: Schemathesis ignores it and both oneOf branches match"
SPEC_DUPLICATE_ONE_OF = "the document's oneOf lists one schema twice, so no value is valid against exactly one branch (JSON Schema): Schemathesis refuses every answer (specgen warns and reads the schema once)"
SPEC_CONST_SENT = 'the document uses `const`, which OpenAPI 3.0 does not have: Schemathesis ignores it and sends a value the const refuses (`object: ""` for a bank account); the mock keeps the author\'s const'
# Reasons that explain a finding of Schemathesis about the mock (the others are client-side only).
MOCK_SIDE = (
    "Schemathesis",
    "registry",
    "OpenAPI 3.0 does not have",
    "no value is valid against exactly one",
)
KNOWN_CLIENT_GAPS: dict[str, dict[str, str]] = {
    "apifox-2/openapi/jenny-org.xisii-apifox.git-backup.openapi.yaml": {
        "POST /orders/{orderId}/payment": SPEC_CONST_SENT,
    },
    "peer/baseline_openapi_3.0.json": {
        "GET /models/oneof-with-required-const": SPEC_CONST,
        "POST /types/unions/duplicate-types": SPEC_DUPLICATE_ONE_OF,
    },
    "peer/baseline_openapi_3.1.yaml": {
        "POST /types/unions/duplicate-types": SPEC_DUPLICATE_ONE_OF,
    },
}


def document_id(path: Path) -> str:
    return (
        f"peer/{path.name}"
        if path.parent == PEER
        else str(path.relative_to(FIXTURES).as_posix())
    )


def known_gap(document: Path, endpoint_id: str) -> str | None:
    return KNOWN_CLIENT_GAPS.get(document_id(document), {}).get(endpoint_id)


@dataclass
class Package:
    """A generated package in a temporary folder, importable under PACKAGE."""

    document: Path
    out: Path
    registry: dict[str, Any]

    @property
    def rest_endpoints(self) -> list[dict[str, Any]]:
        return [e for e in self.registry["endpoints"] if e["queue"] is None]

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.{name}")

    def kwargs(self, endpoint: dict[str, Any]) -> dict[str, Any]:
        """The valid arguments the generated contract test calls this endpoint with."""
        test_file = self.out / "tests" / f"{endpoint['names']['test_module']}.py"
        spec = importlib.util.spec_from_file_location(
            f"{PACKAGE}_tests_{endpoint['names']['test_module']}", test_file
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return dict(module.KWARGS)

    def client(self, base_url: str, **options: Any) -> Any:
        """The generated Client with every credential it accepts."""
        package = importlib.import_module(PACKAGE)
        accepted = inspect.signature(package.Client.__init__).parameters
        given = {k: v for k, v in CREDENTIALS.items() if k in accepted}
        return package.Client(base_url=base_url, **given, **options)


_GENERATED: dict[Path, Package] = {}


def generated_once(document: Path, cache: Path) -> Package:
    """The package of `document`, generated once per test session (Prism and Schemathesis
    share it)."""
    if document not in _GENERATED:
        # named by the document, so a failed generation does not shift the next one's folder
        folder = cache / hashlib.sha256(str(document).encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        _GENERATED[document] = generate(document, folder / "generated")
    return _GENERATED[document]


def generate(document: Path, out: Path) -> Package:
    done = run_cli(
        "generate",
        "--out",
        str(out),
        "--package",
        PACKAGE,
        "--no-cache",
        "--input",
        str(document),
        cwd=out.parent,
    )
    if done.returncode != 0 and "the inputs describe no endpoint" in done.stderr:
        pytest.skip(
            "the document has no operations: specgen refuses it with a located error"
        )
    assert done.returncode == 0, done.stderr[-3000:]
    registry = json.loads((out / "registry.json").read_text(encoding="utf-8"))
    return Package(document, out, registry)


@pytest.fixture(scope="session")
def generated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("oracles")


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Path]:
    """Import a package with `import_package`; the import is undone afterwards."""
    before = list(sys.path)
    yield tmp_path
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    for name in [m for m in sys.modules if m.startswith(f"{PACKAGE}_tests_")]:
        del sys.modules[name]
    sys.path[:] = before


def import_package(package: Package) -> None:
    sys.path.insert(0, str(package.out))
    importlib.invalidate_caches()
    importlib.import_module(PACKAGE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prism_or_skip() -> Path:
    if PRISM.exists():
        return PRISM
    found = shutil.which("prism")
    if found:
        return Path(found)
    if os.environ.get("CI"):
        pytest.fail("Prism is not installed: .ci/run installs @stoplight/prism-cli")
    pytest.skip(
        "Prism is not installed (npm install --prefix .ci/node @stoplight/prism-cli@5)"
    )


class Prism:
    """`prism mock DOCUMENT` on 127.0.0.1, static answers (the documented examples)."""

    def __init__(self, document: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [
                str(prism_or_skip()),
                "mock",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--errors",
                "false",
                str(document),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.log = log
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    "prism exited: " + log.read_text(errors="replace")[-2000:]
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("prism did not start in 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
