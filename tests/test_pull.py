"""`specgen pull` against a fake Apifox Open API on 127.0.0.1 (tests/fake_apifox.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator import cli, pull
from generator import config as config_module
from generator.diagnostics import SpecError
from tests.fake_apifox import FakeApifox, Fault
from tests.helpers import ROOT, SEEDS, run_cli

TOKEN = "afxp_secret_token_value_42"
PROJECT = 1234567
CORPUS = ROOT / "tests" / "fixtures" / "apifox" / "openapi"
EXPORT = (CORPUS / "kubernetes_management_system.openapi.json").read_bytes()
PAGE = (SEEDS / "flux-lora.txt").read_bytes()
TARGET = "specs/apifox/k8s.openapi.json"
PAGE_TARGET = "specs/fal/flux-lora.txt"


def changed_export() -> tuple[bytes, str, str]:
    """The corpus export with its first path removed and a new one added: (bytes, removed, added)."""
    data = json.loads(EXPORT)
    removed = next(iter(data["paths"]))
    operations = data["paths"].pop(removed)
    data["paths"]["/v2/added/{id}"] = {
        "get": {
            "summary": "added",
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "responses": {"200": {"description": "OK"}},
        }
    }
    method = next(iter(operations)).upper()
    return (
        json.dumps(data, ensure_ascii=False, indent=2).encode(),
        f"{method} {removed}",
        "GET /v2/added/{id}",
    )


def project(
    root: Path, server: FakeApifox, *, extra: str = "", with_page: bool = True
) -> Path:
    inputs = (
        '["specs/apifox/*.json", "specs/fal/*.txt"]'
        if with_page
        else '["specs/apifox/*.json"]'
    )
    text = (
        "[tool.specgen]\n"
        f"inputs = {inputs}\n"
        'package = "k8s_api"\n\n'
        "[[tool.specgen.pull]]\n"
        f"apifox_project = {PROJECT}\n"
        f'api_base = "{server.url}"\n'
        f'to = "{TARGET}"\n'
        "module_id = 7\n"
        'scope = { tags = ["pods"] }\n'
        f"{extra}"
    )
    if with_page:
        text += f'\n[[tool.specgen.pull]]\nurl = "{server.url}/docs/flux-lora.txt?sig=abc"\nto = "{PAGE_TARGET}"\n'
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root / "pyproject.toml"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeApifox:
    monkeypatch.setenv("APIFOX_ACCESS_TOKEN", TOKEN)
    monkeypatch.delenv("APIFOX_API_BASE", raising=False)
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    with FakeApifox(TOKEN, {PROJECT: EXPORT}, {"/docs/flux-lora.txt": PAGE}) as fake:
        yield fake


def run(
    pyproject: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    code = cli.main(["pull", "--config", str(pyproject), *args])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, out, err


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".specgen-cache" not in p.parts
    }


def test_pull_writes_each_export_byte_for_byte(
    tmp_path: Path, server: FakeApifox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(project(tmp_path, server), capsys)
    assert code == 0
    assert (tmp_path / TARGET).read_bytes() == EXPORT
    assert (tmp_path / PAGE_TARGET).read_bytes() == PAGE
    assert f"{TARGET} (apifox project {PROJECT}): new (+" in out
    # the page's query string (it may carry a signature) is never shown
    assert f"{PAGE_TARGET} ({server.url}/docs/flux-lora.txt): new (+1 endpoints)" in out
    assert "sig=abc" not in out
    export = next(r for r in server.requests if r.method == "POST")
    assert export.path == f"/v1/projects/{PROJECT}/export-openapi"
    assert export.query == {"locale": ["zh-CN"]}
    assert export.headers["x-apifox-api-version"] == "2024-03-28"
    assert export.headers["authorization"] == f"Bearer {TOKEN}"
    assert export.body == {
        "scope": {"type": "SELECTED_TAGS", "selectedTags": ["pods"]},
        "options": {"includeApifoxExtensionProperties": True, "addFoldersToTags": True},
        "oasVersion": "3.1",
        "exportFormat": "JSON",
        "moduleId": 7,
    }
    page = next(r for r in server.requests if r.method == "GET")
    assert "authorization" not in page.headers  # the token goes to the Open API only
    assert not any(TOKEN.encode() in data for data in snapshot(tmp_path).values())


def test_a_second_pull_is_unchanged_and_touches_nothing(
    tmp_path: Path, server: FakeApifox, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project(tmp_path, server)
    assert run(pyproject, capsys)[0] == 0
    before = (tmp_path / TARGET).stat().st_mtime_ns
    code, out, _ = run(pyproject, capsys)
    assert code == 0
    assert f"{TARGET} (apifox project {PROJECT}): unchanged" in out
    assert "unchanged" in out.splitlines()[1]
    assert (tmp_path / TARGET).stat().st_mtime_ns == before
    assert run(pyproject, capsys, "--check")[0] == 0


def test_a_changed_export_is_reported_with_diff_rules_and_check_says_so(
    tmp_path: Path, server: FakeApifox, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project(tmp_path, server)
    assert run(pyproject, capsys)[0] == 0
    new, removed, added = changed_export()
    server.projects[PROJECT] = new
    before = snapshot(tmp_path)
    code, out, _ = run(pyproject, capsys, "--check")
    assert code == 1
    assert snapshot(tmp_path) == before  # --check writes nothing
    assert (
        f"{TARGET} (apifox project {PROJECT}): changed (+1 \u22121 endpoints, 1 breaking)"
        in out
    )
    assert f"breaking endpoint-removed: {removed}" in out
    assert f"info endpoint-added: {added}" in out
    code, out, _ = run(pyproject, capsys)
    assert code == 0
    assert (tmp_path / TARGET).read_bytes() == new
    assert run(pyproject, capsys, "--check")[0] == 0


@pytest.mark.parametrize(
    ("fault", "extra", "expected"),
    [
        (None, 'token_env = "OTHER_TOKEN"\n', "is not set"),
        (
            Fault(status=401),
            "",
            "HTTP 401: the access token in $APIFOX_ACCESS_TOKEN was refused",
        ),
        (
            Fault(status=403),
            "",
            f"HTTP 403: the token's account may not export project {PROJECT} (or this module/branch)",
        ),
        (
            None,
            'api_version = "2020-01-01"\n',
            "HTTP 422: the Open API refused the request; check api_version (sent '2020-01-01'",
        ),
        (Fault(status=503), "retries = 1\n", "HTTP 503 after 2 attempts"),
        (
            Fault(truncate=True),
            "retries = 0\n",
            "the connection failed (RemoteProtocolError) after 1 attempts",
        ),
        (
            Fault(truncate=True, close_delimited=True),
            "",
            "what arrived is not an API export",
        ),
        (
            Fault(html=True),
            "",
            "what arrived is not an API export (an HTML page: a login page or an error page?)",
        ),
        (
            Fault(
                body=b'{"success": false, "errorCode": "500", "errorMessage": "busy"}'
            ),
            "",
            "not an API export",
        ),
    ],
)
def test_every_fault_is_a_clear_error_and_leaves_specs_untouched(
    tmp_path: Path,
    server: FakeApifox,
    capsys: pytest.CaptureFixture[str],
    fault: Fault | None,
    extra: str,
    expected: str,
) -> None:
    pyproject = project(tmp_path, server, extra=extra)
    (tmp_path / "specs" / "fal").mkdir(parents=True)
    (tmp_path / PAGE_TARGET).write_bytes(b"the old page\n")
    if fault is not None:
        server.inject(fault, times=5)
    before = snapshot(tmp_path)
    code, _, err = run(pyproject, capsys)
    assert code == 2
    assert f"apifox project {PROJECT}: " in err
    assert expected in err
    assert "nothing was written" in err
    assert "Traceback" not in err
    # all or nothing: the page fetched fine, and still was not written
    assert snapshot(tmp_path) == before


def test_unknown_project_names_what_to_check(
    tmp_path: Path, server: FakeApifox, capsys: pytest.CaptureFixture[str]
) -> None:
    server.projects.clear()
    code, _, err = run(project(tmp_path, server, with_page=False), capsys)
    assert code == 2
    assert (
        f"HTTP 404: no project {PROJECT} at {server.url}: check apifox_project, module_id"
        in err
    )
    assert "(server: 404 project not found)" in err


def test_a_missing_version_header_gets_422_from_the_fake(server: FakeApifox) -> None:
    """The fake does what the docs say; pull always sends the header (see the request check above)."""
    import httpx

    answer = httpx.post(
        f"{server.url}/v1/projects/{PROJECT}/export-openapi",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={},
    )
    assert answer.status_code == 422
    assert answer.json()["errorMessage"] == "X-Apifox-Api-Version header is required"


def test_a_token_the_server_echoes_is_scrubbed(
    tmp_path: Path,
    server: FakeApifox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.echo_credentials = True
    monkeypatch.setenv("APIFOX_ACCESS_TOKEN", "wrong-" + TOKEN)
    code, _, err = run(project(tmp_path, server, with_page=False), capsys)
    assert code == 2
    assert "invalid access token: Bearer [token]" in err
    assert "wrong-" not in err


def recorded(
    tmp_path: Path, server: FakeApifox, extra: str = ""
) -> tuple[pull.Outcome, list[float]]:
    sleeps: list[float] = []
    config = config_module.load(project(tmp_path, server, extra=extra, with_page=False))
    outcome = pull.run(config, out=lambda line: None, sleep=sleeps.append)
    return outcome, sleeps


def test_429_waits_as_retry_after_says(tmp_path: Path, server: FakeApifox) -> None:
    server.inject(Fault(status=429, retry_after="3"))
    outcome, sleeps = recorded(tmp_path, server)
    assert sleeps == [3.0]
    assert [r.method for r in server.requests] == ["POST", "POST"]
    assert outcome.written == [TARGET]


def test_a_retry_after_beyond_the_limit_fails_instead_of_hanging(
    tmp_path: Path, server: FakeApifox
) -> None:
    server.inject(Fault(status=429, retry_after="3600"))
    with pytest.raises(SpecError, match="asks to wait 3600s"):
        recorded(tmp_path, server)
    assert not (tmp_path / TARGET).exists()


def test_5xx_and_dropped_bodies_back_off_then_succeed(
    tmp_path: Path, server: FakeApifox
) -> None:
    server.inject(Fault(status=503), times=2)
    server.inject(Fault(truncate=True))
    outcome, sleeps = recorded(tmp_path, server)
    assert outcome.written == [TARGET]
    assert len(server.requests) == 4
    # exponential backoff with jitter: 1s, 2s, 4s, each between half and all of it
    assert [0.5 <= sleeps[0] <= 1, 1 <= sleeps[1] <= 2, 2 <= sleeps[2] <= 4] == [
        True
    ] * 3
    assert (tmp_path / TARGET).read_bytes() == EXPORT


def test_api_base_from_the_environment_for_self_hosted_apifox(
    tmp_path: Path,
    server: FakeApifox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("APIFOX_API_BASE", server.url)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.specgen]\ninputs = ["specs/*.json"]\n\n[[tool.specgen.pull]]\napifox_project = "{PROJECT}"\nto = "specs/api.json"\n',
        encoding="utf-8",
    )
    code, out, _ = run(tmp_path / "pyproject.toml", capsys)
    assert code == 0
    assert "specs/api.json (apifox project 1234567): new" in out
    assert (tmp_path / "specs" / "api.json").read_bytes() == EXPORT
    assert server.requests[0].body["scope"] == {"type": "ALL"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'url = "https://a.example/x"\napifox_project = 1\nto = "specs/x"',
            "pull[1]: expected exactly one of apifox_project",
        ),
        (
            'apifox_project = 1\nto = "specs/x"\nmodule_id = "1"',
            "pull[1].module_id: expected an integer id, got str '1'",
        ),
        (
            'apifox_project = 1\nto = "specs/x"\nmodul_id = 1',
            "pull[1]: unknown keys ['modul_id']",
        ),
        (
            "apifox_project = 1",
            "pull[1].to: expected a path relative to pyproject.toml",
        ),
        (
            'apifox_project = 1\nto = "../outside"',
            "pull[1].to: expected a relative path inside the project",
        ),
        (
            'apifox_project = 1\nto = "specs/x"\nscope = { tags = [] }',
            "pull[1].scope: expected tags = a non-empty list of strs",
        ),
        (
            'apifox_project = 1\nto = "specs/x"\nscope = "some"',
            'pull[1].scope: expected "all" or a table',
        ),
        (
            'apifox_project = 1\nto = "specs/x"\nformat = "xml"',
            'pull[1].format: expected "json" or "yaml"',
        ),
        (
            'apifox_project = 1\nto = "specs/x"\ntimeout = true',
            "pull[1].timeout: expected a number of seconds, got bool True",
        ),
        (
            'url = "ftp://a.example/x"\nto = "specs/x"',
            "pull[1].url: expected an http(s) URL",
        ),
    ],
)
def test_config_is_type_checked_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.specgen]\ninputs = ["specs/*"]\n\n[[tool.specgen.pull]]\n{entry}\n',
        encoding="utf-8",
    )
    code = cli.main(["pull", "--config", str(tmp_path / "pyproject.toml")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"tool.specgen.{message}" in err


def test_no_sources_and_a_target_generate_will_not_read(
    tmp_path: Path, server: FakeApifox, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.specgen]\ninputs = ["specs/*.txt"]\n', encoding="utf-8"
    )
    assert cli.main(["pull", "--config", str(tmp_path / "pyproject.toml")]) == 2
    assert "no [[tool.specgen.pull]] sources" in capsys.readouterr().err
    pyproject = project(tmp_path, server, with_page=False)
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            '"specs/apifox/*.json"', '"specs/*.txt"'
        ),
        encoding="utf-8",
    )
    code, _, err = run(pyproject, capsys)
    assert code == 0
    assert f"warning: {TARGET} is not matched by [tool.specgen] inputs" in err


def test_pull_generate_regenerates_with_a_changelog(
    tmp_path: Path, server: FakeApifox
) -> None:
    """End to end through the installed entry point, as the docs-sync workflow runs it."""
    pyproject = project(tmp_path, server, with_page=False)
    env_token = os.environ["APIFOX_ACCESS_TOKEN"]
    assert env_token == TOKEN
    result = run_cli(
        "pull", "--config", str(pyproject), "--generate", "--changelog", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert "new (+" in result.stdout
    assert (tmp_path / "generated" / "k8s_api" / "client.py").is_file()
    assert "## k8s_api 0.1.0" in (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert run_cli("check", "--config", str(pyproject), cwd=tmp_path).returncode == 0
    assert (
        run_cli(
            "pull", "--config", str(pyproject), "--check", "--generate", cwd=tmp_path
        ).returncode
        == 2
    )
