"""What a team copies into its own repository: the workflows and the pre-commit hooks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import config as config_module
from tests.helpers import ROOT, seed_specs, write_project

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a test dependency (pip install -e '.[test]')"
    return found


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_both_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["contract.yml", "docs-sync.yml"]


def test_workflows_match_the_github_workflow_schema() -> None:
    """SchemaStore's workflow schema, vendored in check-jsonschema (no network)."""
    result = subprocess.run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_hold_nothing_of_this_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    own = config_module.load(ROOT / "pyproject.toml")
    for specific in (
        own.package,
        own.auth_env,
        own.base_url_env,
        "specs/fal",
        "pip install -e",
        ".venv/",
        "generated/",
    ):
        assert (
            specific not in text
        ), f"{path.name} names {specific!r}, which only this repository has"
    workflow = load(path)
    # one variable at the top says which specgen to install; every install uses it
    assert "SPECGEN" in workflow["env"]
    installs = [s["run"] for s in steps(workflow) if "pip" in s.get("run", "")]
    assert installs
    assert all('install -q "$SPECGEN"' in run for run in installs)
    assert not any("SPECGEN" in (s.get("env") or {}) for s in steps(workflow))
    assert not any(
        s.get("with", {}).get("cache") for s in steps(workflow)
    ), "no cache that could make check lie"


def test_docs_sync_runs_on_a_schedule_and_opens_one_labelled_pull_request() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "docs-sync.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    runs = {s.get("id", s.get("name")): s for s in steps(workflow)}
    assert "specgen pull --generate --changelog" in runs["pull"]["run"]
    assert runs["pull"]["env"] == {
        "APIFOX_ACCESS_TOKEN": "${{ secrets.APIFOX_ACCESS_TOKEN }}"
    }
    assert (
        "--fail-on none" in runs["diff"]["run"] and "markdown=" in runs["diff"]["run"]
    )
    opening = runs["Open or update the pull request"]["run"]
    for needed in (
        "gh pr list --head",
        "gh pr edit",
        "gh pr create",
        "--add-label breaking",
        "--body-file",
    ):
        assert needed in opening
    # the token reaches only the pull step
    assert sum("secrets." in str(s) for s in steps(workflow)) == 1


def test_the_hook_manifest_is_valid_for_pre_commit() -> None:
    result = subprocess.run(
        [tool("pre-commit"), "validate-manifest", str(HOOKS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [hook["id"] for hook in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))]
    assert ids == ["specgen-check", "specgen-lint", "specgen-generate"]


def test_pre_commit_runs_the_hooks_in_a_fresh_repository(tmp_path: Path) -> None:
    """The hooks as declared (entry, pass_filenames, ...), run by pre-commit itself. Only the
    language differs: `system` uses the specgen installed here instead of building a venv from
    the hook repository, which would need the network."""
    write_project(tmp_path, seed_specs(), package="fal_api", prefixes=("/fal-ai/",))
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    local = [{**hook, "language": "system"} for hook in hooks]
    (tmp_path / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}), encoding="utf-8"
    )
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / ".pre-commit-home"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(tmp_path),
    }

    def git(*args: str) -> None:
        subprocess.run(
            ["git", *args],
            cwd=tmp_path,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def hook(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool("pre-commit"), "run", name, "--all-files", "--verbose"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    git("init", "-q")
    git("add", "-A")
    stale = hook("specgen-check")
    assert stale.returncode == 1, stale.stdout  # nothing generated yet
    assert "missing: generated/" in stale.stdout
    # new files are not "modified" for pre-commit (it compares tracked files): this one passes
    assert hook("specgen-generate").returncode == 0
    assert (tmp_path / "generated" / "fal_api" / "client.py").is_file()
    git("add", "-A")
    current = hook("specgen-check")
    assert current.returncode == 0, current.stdout
    assert "generated/ is current" in current.stdout
    linted = hook("specgen-lint")
    assert linted.returncode == 0, linted.stdout
    spec = next((tmp_path / "specs").glob("*.txt"))
    title, rest = spec.read_text(encoding="utf-8").split("\n", 1)
    spec.write_text(f"{title} (renamed)\n{rest}", encoding="utf-8")
    after = hook("specgen-check")
    assert after.returncode == 1
    assert "is stale" in after.stdout + after.stderr
    regenerated = hook("specgen-generate")
    assert (
        regenerated.returncode == 1
    )  # it changed tracked files: the commit stops, to add them
    assert "files were modified by this hook" in regenerated.stdout
    git("add", "-A")
    assert hook("specgen-check").returncode == 0
