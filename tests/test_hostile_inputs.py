"""The hostile-spec suite (tests/hostile_corpus.py): every case in all four formats either
fails with a located diagnostic (exit 2, one `file:line: error:` line, nothing written, no
traceback) or generates a package that imports, type-checks and never runs spec text; no case
reads a file outside the inputs or touches the network; every bomb ends in seconds."""

from __future__ import annotations

import contextlib
import http.server
import importlib
import io
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from referencing.exceptions import Unresolvable

from generator import cli, models, samples
from generator.diagnostics import SpecError
from tests.helpers import ROOT
from tests.hostile_corpus import (
    CANARY,
    Case,
    _ext,
    _with_ref,
    cases,
    openapi_json,
    operation,
    query,
)

OUTSIDE_SECRET = "OUTSIDE_SECRET_7f3a"
CASES = cases()
LOCATED = re.compile(r"^[^\s:][^:]*(:\d+)?: error: .+", re.M)


SHARED_CACHE = (
    Path(os.environ.get("TMPDIR", "/tmp")) / f"specgen-hostile-cache-{os.getuid()}"
)


def make_project(root: Path, case: Case) -> Path:
    project = root / "project"
    (project / "specs").mkdir(parents=True)
    # black's cache is keyed by content: the runtime files are the same in every case
    SHARED_CACHE.mkdir(exist_ok=True)
    (project / ".specgen-cache").symlink_to(SHARED_CACHE, target_is_directory=True)
    (root / "outside.json").write_text(
        json.dumps({"type": "string", "title": OUTSIDE_SECRET}), encoding="utf-8"
    )
    for name, content in case.files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (project / "specs" / name).write_bytes(data)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        '[tool.specgen]\ninputs = ["specs/*"]\nout = "generated"\npackage = "hostile_api"\n'
        + case.settings
        + "\n"
        + case.tables,
        encoding="utf-8",
    )
    return pyproject


def generate(pyproject: Path) -> tuple[int, str]:
    """The real CLI in this process: an exception other than SystemExit fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["generate", "--config", str(pyproject)])
    return code, err.getvalue()


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.expect == "error"], ids=lambda c: c.name
)
def test_bad_input_is_a_located_error(case: Case, tmp_path: Path) -> None:
    pyproject = make_project(tmp_path, case)
    code, err = generate(pyproject)
    assert code == 2, err
    assert "Traceback" not in err
    assert LOCATED.search(err), err
    assert case.needle.lower() in err.lower(), err
    assert all(
        len(line) < 2000 and "\x1b" not in line and "\r" not in line
        for line in err.splitlines()
    )
    assert not (pyproject.parent / "generated").exists()


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.expect == "ok"], ids=lambda c: c.name
)
def test_hostile_input_generates_safe_code(case: Case, tmp_path: Path) -> None:
    pyproject = make_project(tmp_path, case)
    code, err = generate(pyproject)
    assert code == 0, err
    assert case.needle in err, err
    out = pyproject.parent / "generated"
    texts = {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.is_file()
    }
    for name, text in texts.items():
        assert OUTSIDE_SECRET not in text, f"{name} holds another file's content"
        assert "root:x:0:0" not in text, f"{name} holds /etc/passwd"
        assert (
            "\x1b" not in text and "\u202e" not in text
        ), f"raw control text in {name}"
        if name.endswith(".py"):
            compile(text, name, "exec")
        if name.endswith(".json"):
            json.loads(text, parse_constant=_no_constant)
        if name.endswith(".md"):
            for line in text.splitlines():
                assert not line.startswith("# Fake heading"), name
    registry = json.loads(texts["registry.json"])
    for endpoint in registry["endpoints"]:
        names = endpoint["names"]
        assert len(names["attribute"]) <= 64 and len(names["doc_page"]) <= 70
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hostile_api, hostile_api.models, hostile_api.client, hostile_api.testing",
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert not (out / CANARY).exists() and not (pyproject.parent / CANARY).exists()


def _no_constant(name: str) -> None:
    raise AssertionError(f"{name} in a JSON output")


# -- the external-reference property, with a server that records every request ---------------


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b'{"type": "string", "title": "FETCHED"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


REF_FORMATS = ("docpage", "native", "openapi-json", "openapi-yaml", "docsite-md")


@pytest.mark.parametrize("fmt", REF_FORMATS)
@pytest.mark.parametrize("setting", ["", 'external_refs = "project"'])
def test_a_loopback_ref_is_a_located_error_and_never_contacted(
    recorder: tuple[str, list[str]], tmp_path: Path, fmt: str, setting: str
) -> None:
    url, hits = recorder
    case = Case("loopback", {_ext(fmt): _with_ref(fmt, f"{url}/schema.json")}, "error")
    case.settings = setting
    pyproject = make_project(tmp_path, case)
    code, err = generate(pyproject)
    assert code == 2, err
    assert "Traceback" not in err
    [located] = [line for line in err.splitlines() if ": error: " in line]
    assert LOCATED.match(located), located
    # where (file:line or file), what was refused and why, what was expected, the JSON pointer
    assert located.startswith(f"specs/{_ext(fmt)}"), located
    assert f"{url}/schema.json" in located and "never fetches" in located, located
    assert "expected a local reference (#/...)" in located, located
    assert re.search(r"\(at /[^)]*\)$", located), located
    if fmt != "docpage":  # a page's schemas sit on one line of a JSON block
        assert re.match(rf"specs/{re.escape(_ext(fmt))}:\d+: ", located), located
    assert hits == [], f"the generator fetched {hits}"
    assert not (pyproject.parent / "generated").exists()


def test_the_libraries_below_are_handed_no_ref_they_could_fetch(
    recorder: tuple[str, list[str]],
) -> None:
    """datamodel-code-generator and jsonschema (its `referencing`) follow remote refs when
    given one; ours never give them one: a guard before the model generator, an empty
    registry in every validator (the generator's and the generated package's contract).
    """
    url, hits = recorder
    remote = {"type": "object", "properties": {"x": {"$ref": f"{url}/schema.json"}}}
    with pytest.raises(
        SpecError, match="refusing to hand it to datamodel-code-generator"
    ):
        models._generate({"Remote": remote})
    with pytest.raises(Unresolvable):
        samples.validator(remote, {}).validate({"x": 1})
    assert not samples.is_valid({"x": 1}, remote, {})
    if str(ROOT / "generated") not in sys.path:
        sys.path.insert(0, str(ROOT / "generated"))
    contract = importlib.import_module("fal_api.contract")
    with pytest.raises(Unresolvable, match=r"schema\.json"):
        contract.validate(remote, {"x": 1})
    assert hits == [], f"a library fetched {hits}"


def test_project_files_are_read_only_when_allowed_and_never_outside(
    tmp_path: Path,
) -> None:
    common = {"Shared": {"type": "object", "properties": {"kept": {"type": "string"}}}}
    for label, ref in (
        ("inside", "common.json#/Shared"),
        ("outside", "../../outside.json"),
    ):
        spec = openapi_json(
            paths={
                "/r": {
                    "post": operation(
                        "refs",
                        body={"type": "object", "properties": {label: {"$ref": ref}}},
                    )
                }
            }
        )
        case = Case("project-refs", {"api.json": spec}, "ok")
        for setting in ("", 'external_refs = "project"'):
            root = tmp_path / label / ("allowed" if setting else "default")
            case.settings = setting
            pyproject = make_project(root, case)
            (pyproject.parent / "specs" / "common.json").write_text(
                json.dumps(common), encoding="utf-8"
            )
            # common.json is not an input (inputs are globbed): keep it out of the inputs
            pyproject.write_text(
                pyproject.read_text(encoding="utf-8").replace(
                    'inputs = ["specs/*"]', 'inputs = ["specs/api.json"]'
                ),
                encoding="utf-8",
            )
            code, err = generate(pyproject)
            if label == "inside" and setting:
                assert code == 0, err
                registry = (pyproject.parent / "generated" / "registry.json").read_text(
                    encoding="utf-8"
                )
                assert '"kept"' in registry, err
                continue
            assert code == 2, err
            assert f"$ref {ref!r} leaves the document" in err
            assert ("(#/...) or a relative reference" in err) is bool(setting), err
            assert OUTSIDE_SECRET not in err
            assert not (pyproject.parent / "generated").exists()


def test_every_bomb_is_cut_short() -> None:
    """The bombs are error cases above; here their count, so none is lost in an edit."""
    bombs = [c.name for c in CASES if "bomb" in c.name or "laughs" in c.name]
    assert len(bombs) >= 3


def test_the_suite_covers_all_four_formats_and_at_least_sixty_cases() -> None:
    kinds = {name.rsplit(".", 1)[-1] for case in CASES for name in case.files}
    assert {"txt", "json", "yaml", "md"} <= kinds
    assert len(CASES) >= 60


def test_uint64_ids_are_read_exactly_and_their_tests_pass(tmp_path: Path) -> None:
    """Integers past int64 (a uint64 id) are ordinary JSON Schema integers: the registry keeps
    them exactly, the models take them, and the generated contract tests pass with them.
    """
    biggest = 2**64 - 1
    thing = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "uint64", "maximum": biggest},
            "size": {"type": "integer", "minimum": 2**63, "example": 2**63 + 5},
        },
        "required": ["id"],
        "example": {"id": biggest, "size": 2**63 + 5},
    }
    spec = openapi_json(
        paths={
            "/things": {
                "post": operation(
                    "putThing",
                    parameters=[
                        query("after", {"type": "integer", "example": biggest})
                    ],
                    body={"$ref": "#/components/schemas/Thing"},
                    response={"$ref": "#/components/schemas/Thing"},
                )
            }
        },
        schemas={"Thing": thing},
    )
    pyproject = make_project(tmp_path, Case("uint64", {"api.json": spec}, "ok"))
    code, err = generate(pyproject)
    assert code == 0, err
    out = pyproject.parent / "generated"
    registry = (out / "registry.json").read_text(encoding="utf-8")
    assert str(biggest) in registry and str(2**63 + 5) in registry
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=out,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout
