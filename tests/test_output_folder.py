"""The output folder: generate replaces only what it wrote, one run at a time, and puts right
what an interrupted run left. Refusals come before anything is read or written."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import writer
from tests.helpers import ROOT, run_cli

SMALL = next(
    (ROOT / "tests" / "fixtures" / "apifox" / "openapi").glob("cxdl-study*.json")
)


def project(root: Path, out: str = "generated", extra: str = "") -> Path:
    """A project with one small corpus export; returns its pyproject.toml."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "specs" / "api.openapi.json").write_bytes(SMALL.read_bytes())
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        "[tool.specgen]\n"
        'inputs = ["specs/*.json"]\n'
        f"out = {json.dumps(out)}\n"
        'package = "cxdl"\n' + extra,
        encoding="utf-8",
    )
    return pyproject


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".venv" not in p.parts
    }


def refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def test_a_src_folder_with_user_code_is_not_replaced(tmp_path: Path) -> None:
    pyproject = project(tmp_path, out="src")
    (tmp_path / "src" / "mycode").mkdir(parents=True)
    (tmp_path / "src" / "mycode" / "app.py").write_text("print('mine')\n")
    before = snapshot(tmp_path)
    done = run_cli("generate", "--config", str(pyproject))
    refused(
        done, "refusing to replace src/", "mycode/app.py", "no .specgen.json", "--force"
    )
    assert snapshot(tmp_path) == before
    forced = run_cli("generate", "--config", str(pyproject), "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (tmp_path / "src" / "mycode").exists()
    assert (tmp_path / "src" / ".specgen.json").is_file()


@pytest.mark.parametrize("out", [".", "..", "./"])
def test_the_project_root_or_above_is_refused_even_with_force(
    tmp_path: Path, out: str
) -> None:
    pyproject = project(tmp_path / "proj", out=out)
    (tmp_path / "proj" / ".git").mkdir()
    before = snapshot(tmp_path)
    for extra in ([], ["--force"]):
        done = run_cli("generate", "--config", str(pyproject), *extra)
        refused(done, "project root or above it", 'out = "generated"')
    assert snapshot(tmp_path) == before


def test_out_on_the_command_line_above_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    export = tmp_path / "proj" / "api.json"
    export.write_bytes(SMALL.read_bytes())
    before = snapshot(tmp_path)
    done = run_cli(
        "generate", "--input", str(export), "--out", "..", cwd=tmp_path / "proj"
    )
    refused(done, "project root or above it")
    assert snapshot(tmp_path) == before


def test_a_folder_holding_the_config_or_an_input_is_refused(tmp_path: Path) -> None:
    pyproject = project(tmp_path, out="specs")
    # a config in a sub-folder (--config sub/pyproject.toml) naming its own folder as the output
    inner = project(tmp_path / "sub", out="../sub")
    before = snapshot(tmp_path)
    refused(
        run_cli("generate", "--config", str(pyproject), "--force"),
        "it holds specs/api.openapi.json",
    )
    refused(run_cli("generate", "--config", str(inner), "--force"), "project root")
    assert snapshot(tmp_path) == before


def test_a_file_where_the_folder_belongs_is_refused(tmp_path: Path) -> None:
    pyproject = project(tmp_path)
    (tmp_path / "generated").write_text("a file, not a folder\n")
    refused(run_cli("generate", "--config", str(pyproject), "--force"), "is a file")
    assert (tmp_path / "generated").read_text() == "a file, not a folder\n"


def test_user_files_inside_a_generated_folder_are_listed_not_deleted(
    tmp_path: Path,
) -> None:
    pyproject = project(tmp_path)
    (tmp_path / "generated").mkdir()  # an empty folder is fine
    assert run_cli("generate", "--config", str(pyproject)).returncode == 0
    out = tmp_path / "generated"
    (out / "notes.txt").write_text("my notes\n")
    (out / "docs" / "extra.md").write_text("# mine\n")
    (out / "cxdl" / "__pycache__").mkdir(exist_ok=True)
    (out / "cxdl" / "__pycache__" / "x.pyc").write_bytes(b"cache, not a user file")
    spec = tmp_path / "specs" / "api.openapi.json"
    spec.write_text(spec.read_text(encoding="utf-8").replace("个人项目", "个人项目 2"))
    before = snapshot(tmp_path)
    done = run_cli("generate", "--config", str(pyproject))
    refused(
        done, "2 files (docs/extra.md, notes.txt)", "not written by specgen", "--force"
    )
    assert "x.pyc" not in done.stderr
    assert snapshot(tmp_path) == before
    forced = run_cli("generate", "--config", str(pyproject), "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / "notes.txt").exists() and not (out / "docs" / "extra.md").exists()


def test_a_second_run_while_one_holds_the_lock_is_told_so(tmp_path: Path) -> None:
    pyproject = project(tmp_path)
    with writer.locked(tmp_path / "generated"):
        done = run_cli("generate", "--config", str(pyproject))
    refused(done, "another specgen run is writing generated/")
    assert not (tmp_path / "generated").exists()
    assert not (tmp_path / ".generated.lock").exists(), "the lock file is cleaned up"
    assert run_cli("generate", "--config", str(pyproject)).returncode == 0


KILL_BETWEEN_RENAMES = """
import os, signal, sys
from pathlib import Path
from generator import writer

if sys.argv[2] == "two-renames":
    writer._exchange = lambda new, current: False  # a file system without folder exchange
real_rename = os.rename
calls = []

def rename(source, target):
    real_rename(source, target)
    calls.append(target)
    if len(calls) == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # after the first rename, before the second

os.rename = rename
if sys.argv[2] == "exchange":
    import shutil
    shutil.rmtree = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
writer.write_tree(Path(sys.argv[1]), {"a.txt": b"new"})
"""


def _killed_write(out: Path, mode: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, str(out), mode],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -9, done.stderr


@pytest.mark.skipif(
    sys.platform != "linux", reason="folder exchange: renameat2 on Linux"
)
def test_a_kill_during_the_swap_never_leaves_the_folder_missing(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    writer.write_tree(out, {"a.txt": b"old"})
    _killed_write(out, "exchange")
    assert (out / "a.txt").read_bytes() == b"new", "swapped in one step"
    assert writer.interrupted(out), "the retired folder is left to clean"
    assert writer.recover(out) and not writer.interrupted(out)


def test_a_kill_between_two_renames_is_recovered_and_leftovers_removed(
    tmp_path: Path,
) -> None:
    pyproject = project(tmp_path)
    assert run_cli("generate", "--config", str(pyproject)).returncode == 0
    out = tmp_path / "generated"
    before = snapshot(out)
    _killed_write(out, "two-renames")
    assert not out.exists()
    left = writer.interrupted(out)
    assert any(".old-" in name for name in left)
    check = run_cli("check", "--config", str(pyproject))
    assert check.returncode == 1 and "left by an interrupted generate" in check.stderr
    (
        tmp_path / ".generated.new-zzzzzzzz"
    ).mkdir()  # a staging folder of another dead run
    done = run_cli("generate", "--config", str(pyproject))
    assert done.returncode == 0, done.stderr
    assert "generated/ restored from .generated.old-" in done.stderr
    assert "removed .generated.new-" in done.stderr
    assert snapshot(out) == before and writer.interrupted(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "generated",
        "pyproject.toml",
        "specs",
    ]


def test_an_unwritable_output_place_is_a_diagnostic(tmp_path: Path) -> None:
    pyproject = project(tmp_path, out="blocker/generated")
    (tmp_path / "blocker").write_text("a file where a folder must go\n")
    done = run_cli("generate", "--config", str(pyproject))
    refused(done, "cannot write the output folder", "nothing was written")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (tmpfs), where the generated files cannot fit."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_full_disk_is_a_diagnostic_and_leaves_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    pyproject = project(tmp_path, out="disk/generated")
    done = run_cli("generate", "--config", str(pyproject))
    refused(done, "cannot write the output folder: No space left on device")
    assert list(small_disk.iterdir()) == [], "no staging folder or lock left behind"


def test_a_read_only_file_system_is_a_diagnostic(
    tmp_path: Path, small_disk: Path
) -> None:
    pyproject = project(tmp_path, out="disk/generated")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    done = run_cli("generate", "--config", str(pyproject))
    refused(done, "cannot write the output folder: Read-only file system")


def test_outputs_that_would_share_a_file_are_told_apart(tmp_path: Path) -> None:
    """An operation named `index` keeps docs/index.md the index page; paths equal on a
    case-insensitive file system are an error, never an overwrite."""
    from generator import render
    from generator.diagnostics import SpecError

    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "operationId": "index",
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/b": {
                "get": {
                    "operationId": "Index",
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "api.json").write_text(json.dumps(spec))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.specgen]\ninputs = ["specs/*.json"]\npackage = "idx"\n'
    )
    done = run_cli("generate", "--config", str(tmp_path / "pyproject.toml"))
    assert done.returncode == 0, done.stderr
    docs = tmp_path / "generated" / "docs"
    index = (docs / "index.md").read_text(encoding="utf-8")
    assert "| [" in index and "](index_.md)" in index
    assert sorted(p.name for p in docs.iterdir()) == [
        "index.md",
        "index_.md",
        "index_2.md",
        "models.md",
    ]
    with pytest.raises(SpecError, match="two outputs map to one file"):
        render.distinct({"docs/Pet.md": "", "docs/pet.md": ""})


def test_an_api_without_endpoints_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "empty.json").write_text(
        json.dumps(
            {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
        )
    )
    done = run_cli(
        "generate", "--input", "specs/empty.json", "--package", "empty", cwd=tmp_path
    )
    refused(done, "specs/empty.json: error: the inputs describe no endpoint")
    assert not (tmp_path / "generated").exists()


def test_a_regeneration_leaves_plain_files_whatever_stood_in_their_place(
    tmp_path: Path,
) -> None:
    """Unchanged files are linked into the new folder, never a link or a shared file: a
    generated file a user turned into a symlink (same bytes) comes back as a plain file, and
    the files of the new folder are the only names their data has."""
    pyproject = project(tmp_path)
    assert run_cli("generate", "--config", str(pyproject)).returncode == 0
    out = tmp_path / "generated"
    runtime_file = (
        out / "cxdl" / "_log.py"
    )  # copied as stored: the same after any change
    elsewhere = tmp_path / "elsewhere.py"
    elsewhere.write_bytes(runtime_file.read_bytes())
    runtime_file.unlink()
    runtime_file.symlink_to(elsewhere)
    spec = tmp_path / "specs" / "api.openapi.json"
    document = json.loads(spec.read_text("utf-8"))
    document["info"]["description"] = "changed"
    spec.write_text(json.dumps(document), "utf-8")
    done = run_cli("generate", "--config", str(pyproject))
    assert done.returncode == 0, done.stderr
    assert (
        not runtime_file.is_symlink()
        and runtime_file.read_bytes() == elsewhere.read_bytes()
    )
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and all(p.stat().st_nlink == 1 for p in files)
    assert not any(p.name.startswith(".generated.") for p in tmp_path.iterdir())
