"""`check` from the manifest: current without regenerating only when every ingredient matches;
each ingredient changed in turn sends it to a full regeneration, which is what it reports.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli
from tests.test_output_folder import project, snapshot

FAST = "manifest: every input, setting and file matches the manifest"


@pytest.fixture(scope="module")
def generated_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project, copied afresh by each test (generation is the slow part)."""
    root = tmp_path_factory.mktemp("fast") / "proj"
    overlay = root / "specs" / "overlays" / "fix.yaml"
    overlay.parent.mkdir(parents=True)
    overlay.write_text(
        "overlay: 1.0.0\ninfo: {title: fix, version: 1}\nactions: []\n",
        encoding="utf-8",
    )
    pyproject = project(root, extra='overlays = ["specs/overlays/*.yaml"]\n')
    done = run_cli("generate", "--config", str(pyproject))
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def proj(generated_project: Path, tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(generated_project, target)
    return target


def check(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "-v", "--config", str(root / "pyproject.toml"), *extra)


def stale_files(done: subprocess.CompletedProcess[str]) -> list[str]:
    return sorted(line for line in done.stdout.splitlines() if ": generated/" in line)


def test_a_current_folder_is_decided_from_the_manifest(proj: Path) -> None:
    done = check(proj)
    assert done.returncode == 0 and FAST in done.stderr, done.stderr
    assert "regenerating" not in done.stderr
    again = run_cli("generate", "-v", "--config", str(proj / "pyproject.toml"))
    assert again.returncode == 0 and "0 changed" in again.stdout
    assert FAST in again.stderr and "regenerating" not in again.stderr


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


INGREDIENTS = {
    "a spec byte": (
        lambda root: _edit(
            root / "specs" / "api.openapi.json", "个人项目", "个人项目!"
        ),
        "input specs/api.openapi.json changed",
    ),
    "an overlay": (
        lambda root: _edit(
            root / "specs" / "overlays" / "fix.yaml",
            "actions: []",
            "actions:\n  - target: $\n    update: {base_url: 'http://other.example'}",
        ),
        "overlay specs/overlays/fix.yaml changed",
    ),
    "a config value": (
        lambda root: _edit(
            root / "pyproject.toml",
            'package = "cxdl"',
            'package = "cxdl"\nversion = "0.2.0"',
        ),
        "config changed: version",
    ),
    "a generated file": (
        lambda root: _edit(
            root / "generated" / "cxdl" / "_meta.py", "VERSION =", "VERSION  ="
        ),
        "cxdl/_meta.py was edited",
    ),
    "a new input file": (
        lambda root: shutil.copy(
            root / "specs" / "api.openapi.json", root / "specs" / "more.json"
        ),
        "input specs/more.json is new",
    ),
    "the manifest": (
        lambda root: _edit(
            root / "generated" / ".specgen.json", '"black": "', '"black": "0.'
        ),
        "written by specgen",
    ),
}


@pytest.mark.parametrize("ingredient", sorted(INGREDIENTS))
def test_each_ingredient_sends_check_to_a_full_regeneration(
    proj: Path, ingredient: str
) -> None:
    change, why = INGREDIENTS[ingredient]
    change(proj)
    before = snapshot(proj / "generated")
    done = check(proj)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"manifest: {why}" in done.stderr and "regenerating" in done.stderr
    assert snapshot(proj / "generated") == before, "check wrote something"
    if (
        ingredient == "a generated file"
    ):  # (the formatter test compares the two on many files)
        slow = check(proj, "--no-cache")
        assert slow.returncode == 1 and stale_files(slow) == stale_files(done)


def test_a_template_change_is_noticed(proj: Path, tmp_path: Path) -> None:
    """The generator as a wheel lays it out (templates inside the package), run from a copy:
    its fingerprint equals the clone's, until a template changes."""
    copy = tmp_path / "site"
    shutil.copytree(ROOT / "generator", copy / "generator", ignore=_caches)
    shutil.copytree(
        ROOT / "templates", copy / "generator" / "templates", ignore=_caches
    )

    def copied_check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "generator", "check", "-v"],
            cwd=proj,
            env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=300,
        )

    same = copied_check()
    assert same.returncode == 0 and FAST in same.stderr, same.stderr
    _edit(
        copy / "generator" / "templates" / "client" / "_meta.py.j2",
        '"""Settings',
        '"""The settings',
    )
    done = copied_check()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "manifest: the generator or its templates changed" in done.stderr
    assert "changed: generated/cxdl/_meta.py" in done.stdout


def _caches(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__"]


def test_another_formatter_cannot_fool_check_through_the_cache(proj: Path) -> None:
    """After `ruff format` with other settings, check and check --no-cache report the same
    files: check never takes formatter output from the cache."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "ruff"),
            "format",
            "-q",
            "--line-length",
            "40",
            "--config",
            "format.quote-style='single'",
            str(proj / "generated"),
        ],
        check=True,
    )
    done, slow = check(proj), check(proj, "--no-cache")
    assert done.returncode == slow.returncode == 1
    assert stale_files(done) == stale_files(slow) and len(stale_files(done)) > 3


def test_check_names_the_versions_that_wrote_the_folder(proj: Path) -> None:
    manifest = proj / "generated" / ".specgen.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["tools"]["black"] = "1.0.0"
    manifest.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    done = check(proj)
    assert done.returncode == 1
    assert "generated/ was written by specgen" in done.stderr
    assert "black 1.0.0 (this environment has" in done.stderr
    assert stale_files(done) == ["changed: generated/.specgen.json (+1 -1)"]
