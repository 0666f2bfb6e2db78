"""specgen as a user installs it: the wheel, in a fresh venv outside the repository, generating
from a corpus export in a temporary project; and the generated package, installed (not
editable) into a venv, importing and passing its own contract tests from there.

Quick and offline: wheels are built without build isolation and installed with --no-deps; the
venvs see this venv's site-packages (dependencies only: specgen itself is not on that path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from generator import __version__
from tests.helpers import ROOT

EXPORT = next(
    (ROOT / "tests" / "fixtures" / "apifox" / "openapi").glob("cxdl-study*.json")
)


def run(
    command: list[str], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def fresh_venv(folder: Path) -> Path:
    """A venv whose only extra path is this venv's site-packages (for dependencies); returns
    its python."""
    venv.create(folder, with_pip=False)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = run(
        [
            str(python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        cwd=folder,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return python


def pip_install(python: Path, target: Path, cwd: Path) -> None:
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(target),
        ],
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """specgen's wheel, built from the sdist of a copy of the sources, installed into a fresh
    venv."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    for name in ("generator", "templates"):
        shutil.copytree(
            ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    # sdist first, the wheel from it: what `pip install git+...`, pipx and uvx do
    run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
            str(base / "dist"),
        ],
        cwd=source,
    )
    (sdist,) = (base / "dist").glob("apifox_specgen-*.tar.gz")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(base / "wheelhouse"),
            str(sdist),
        ],
        cwd=base,
    )
    (wheel,) = (base / "wheelhouse").glob("apifox_specgen-*.whl")
    assert wheel.name.startswith(f"apifox_specgen-{__version__}-py3-none-any")
    python = fresh_venv(base / "venv")
    pip_install(python, wheel, base)
    return python


def test_the_wheel_generates_checks_lints_and_diffs_outside_the_repo(
    installed: Path, tmp_path: Path
) -> None:
    specgen = installed.parent / "specgen"
    where = run(
        [str(installed), "-c", "import generator, sys; print(generator.__file__)"],
        cwd=tmp_path,
    ).stdout
    assert (
        str(installed.parent.parent) in where
    ), "specgen runs from the installed wheel"
    assert run([str(specgen), "--version"], cwd=tmp_path).stdout.strip() == (
        f"specgen {__version__}"
    )
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    shutil.copy(EXPORT, project / "specs" / "api.openapi.json")
    (project / "pyproject.toml").write_text(
        '[tool.specgen]\ninputs = ["specs/*.json"]\npackage = "cxdl"\n',
        encoding="utf-8",
    )
    generated = run([str(specgen), "generate"], cwd=project)
    assert "generated/:" in generated.stdout
    assert (project / "generated" / "cxdl" / "client.py").is_file()
    assert (project / "generated" / "pyproject.toml").is_file()
    check = run([str(specgen), "check", "-v"], cwd=project)
    assert "is current" in check.stdout and "manifest: every input" in check.stderr
    slow = run([str(specgen), "check", "--no-cache"], cwd=project)
    assert "is current" in slow.stdout
    lint = run([str(specgen), "lint"], cwd=project, check=False)
    assert lint.returncode in (0, 100) and "Traceback" not in lint.stderr, lint.stderr
    diff = run([str(specgen), "diff"], cwd=project, check=False)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    # the clone's specgen agrees: one fingerprint for the wheel's and the clone's templates
    same = run(
        [
            sys.executable,
            "-m",
            "generator",
            "check",
            "-v",
            "--config",
            str(project / "pyproject.toml"),
        ],
        cwd=ROOT,
    )
    assert "manifest: every input" in same.stderr


def test_the_generated_package_installs_and_passes_its_contract_tests(
    installed: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    shutil.copy(EXPORT, project / "specs" / "api.openapi.json")
    (project / "pyproject.toml").write_text(
        '[tool.specgen]\ninputs = ["specs/*.json"]\npackage = "cxdl"\nversion = "1.2.3"\n',
        encoding="utf-8",
    )
    run([str(installed.parent / "specgen"), "generate"], cwd=project)
    client = fresh_venv(tmp_path / "client-venv")
    pip_install(client, project / "generated", tmp_path)
    assert not (project / "generated" / "build").exists(), "the build left no trace"
    shown = run(
        [
            str(client),
            "-c",
            "import importlib.metadata as m, importlib.resources as r, cxdl; "
            "print(cxdl.__file__, cxdl.__version__, m.version('cxdl'), "
            "r.files('cxdl').joinpath('py.typed').is_file())",
        ],
        cwd=tmp_path,
    ).stdout.split()
    assert str(tmp_path / "client-venv") in shown[0]
    assert shown[1:] == ["1.2.3", "1.2.3", "True"]
    # the contract tests, away from the generated sources: they import the installed package
    suite = tmp_path / "contract"
    shutil.copytree(project / "generated" / "tests", suite / "tests")
    tests = run(
        [str(client), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=suite,
    )
    assert " passed" in tests.stdout and "failed" not in tests.stdout, tests.stdout
