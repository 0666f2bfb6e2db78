"""Writing the outputs all at once, and comparing them with what is on disk."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

IGNORED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def _checked(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(
            f"refusing to write outside the output directory: {relative!r}"
        )
    return path


def write_tree(out_dir: Path, files: dict[str, bytes]) -> None:
    """Replace `out_dir` with exactly `files`: built beside it, then swapped in by renames,
    so a failure at any point leaves the previous outputs as they were."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for relative, data in sorted(files.items()):
            target = staging.joinpath(*_checked(relative).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        retired = None
        if out_dir.exists():
            retired = Path(
                tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent)
            )
            os.rmdir(retired)
            os.rename(out_dir, retired)
        os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def on_disk(out_dir: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if not out_dir.is_dir():
        return found
    for root, dirs, names in os.walk(out_dir):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        for name in names:
            path = Path(root, name)
            found[path.relative_to(out_dir).as_posix()] = path.read_bytes()
    return found


def stale(out_dir: Path, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """[(path, "changed" | "missing" | "extra")]: how disk differs from `files`."""
    current = on_disk(out_dir)
    problems = []
    for path in sorted(set(files) | set(current)):
        if path not in current:
            problems.append((path, "missing"))
        elif path not in files:
            problems.append((path, "extra"))
        elif current[path] != files[path]:
            problems.append((path, "changed"))
    return problems
