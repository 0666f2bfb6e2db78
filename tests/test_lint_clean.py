"""Generated packages are lint-clean as a user lints them: black changes nothing, `ruff check`
with ruff's default rules (those of the installed ruff, plus the E4/E7/E9/F set that was the
default before ruff 0.16) and pyright in standard mode find nothing, on the seeds (generated/)
and on the package of every document of the corpora (tests/fixtures/apifox*, our own
tests/fixtures/rest, openapi-python-client's documents). Every document is generated once, for
all three tools.

Ruff runs in each package's folder with no configuration but the target the package declares
(`requires-python`); pyright runs once over all packages (one run costs far less than one per
package). Documents that do not generate on purpose (the peer's invalid ones) are left out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import black
import pytest

from generator import formatting
from tests.helpers import ROOT
from tests.oracles import PEER_DOCUMENTS, document_id

DOCUMENTS = sorted(
    p
    for p in [
        *(ROOT / "tests" / "fixtures").glob("apifox*/*/*"),
        *(ROOT / "tests" / "fixtures" / "rest").glob("*"),
    ]
    if p.is_file() and p.name != "SOURCES.md"
) + list(PEER_DOCUMENTS)
# One worker generates every document once for all the tests of this module.
pytestmark = pytest.mark.xdist_group("lint_clean")
OLD_DEFAULTS = "E4,E7,E9,F"  # ruff's default selection up to 0.15


def _tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or "")


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The output folders: the seeds' and one per document that generates."""
    root = tmp_path_factory.mktemp("lint")
    cache = tmp_path_factory.mktemp("cache")  # shared: runtime files are formatted once
    # pyright takes only relative `include` paths: every package sits in one folder
    outs = [Path(shutil.copytree(ROOT / "generated", root / "seeds"))]
    for index, document in enumerate(DOCUMENTS):
        out = root / f"p{index:02d}"
        arguments = ["generate", "--input", str(document), "--out", str(out)]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                *arguments,
                "--package",
                f"lint_{index:02d}",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "SPECGEN_CACHE_DIR": str(cache)},
        )
        if done.returncode == 2 and "nothing was written" in done.stderr:
            # an invalid or empty document (the peer's, our rest fixtures' bad ones), refused
            assert "fixtures/apifox" not in str(document), (
                document_id(document),
                done.stderr,
            )
            continue
        assert done.returncode == 0, (document_id(document), done.stderr)
        outs.append(out)
    assert len(outs) > len(DOCUMENTS) // 2
    return outs


def _target(out: Path) -> str:
    """`py310` from the package's own `requires-python = ">=3.10"`."""
    text = (out / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'requires-python = ">=3\.(\d+)"', text)
    assert found, "the generated pyproject.toml declares no requires-python"
    return f"py3{found.group(1)}"


def test_black_changes_nothing_in_any_generated_package(packages: list[Path]) -> None:
    """Black is the style authority, though generation runs it only where the output cannot
    be black-clean by construction (see test_black_clean)."""
    mode = formatting.black_mode()  # what `black --check generated/` uses
    changed = [
        str(path.relative_to(out.parent))
        for out in packages
        for path in sorted(out.rglob("*.py"))
        if black.format_str(text := path.read_text(encoding="utf-8"), mode=mode) != text
    ]
    assert not changed, changed


def test_ruff_finds_nothing_with_its_default_rules(packages: list[Path]) -> None:
    ruff = _tool("ruff")
    findings = []
    for out in packages:
        for select in ([], ["--extend-select", OLD_DEFAULTS]):
            command = [
                "check",
                "--isolated",
                "--no-cache",
                "--output-format",
                "concise",
            ]
            done = subprocess.run(
                [ruff, *command, "--target-version", _target(out), *select, "."],
                cwd=out,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                findings.append(f"{out.name}:\n{done.stdout[-3000:]}{done.stderr}")
    assert not findings, "\n".join(findings)


def test_pyright_standard_finds_nothing(packages: list[Path]) -> None:
    pyright = _tool("pyright")
    if not pyright:
        pytest.skip("pyright is not installed (pip install -e '.[test]')")
    folder = packages[0].parent
    roots = [out.name for out in packages]
    config = {
        "include": roots,
        "extraPaths": roots,  # each package imports itself from its tests
        "typeCheckingMode": "standard",
        "pythonVersion": "3.10",
        "pythonPlatform": "Linux",
    }
    (folder / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [pyright, "--outputjson", "--pythonpath", sys.executable],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    report = json.loads(done.stdout)
    problems = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] in ("error", "warning")
    ]
    assert report["summary"]["filesAnalyzed"] >= 20 * len(packages)
    assert not problems, "\n".join(problems[:50])
