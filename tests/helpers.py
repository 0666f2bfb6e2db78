"""Helpers for the generator's tests: real files in temporary projects, the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "specs" / "fal"


def write_project(
    root: Path,
    specs: dict[str, str | bytes],
    package: str = "api_client",
    prefixes: tuple[str, ...] = (),
) -> Path:
    """A project folder with specs/<name> files and a pyproject.toml; returns the pyproject."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    for name, content in specs.items():
        target = root / "specs" / name
        target.write_bytes(
            content.encode("utf-8") if isinstance(content, str) else content
        )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        "[tool.specgen]\n"
        'inputs = ["specs/*.txt"]\n'
        'out = "generated"\n'
        f'package = "{package}"\n'
        f"strip_name_prefixes = {list(prefixes)!r}\n".replace("'", '"'),
        encoding="utf-8",
    )
    return pyproject


def seed_specs() -> dict[str, str | bytes]:
    return {path.name: path.read_bytes() for path in sorted(SEEDS.glob("*.txt"))}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    """A copy of this repo's seed specs in a temporary project; returns its pyproject.toml."""
    return write_project(
        tmp_path, seed_specs(), package="fal_api", prefixes=("/fal-ai/",)
    )


@pytest.fixture(scope="session")
def seed_text() -> dict[str, str]:
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted(SEEDS.glob("*.txt"))
    }
