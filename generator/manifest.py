"""`generated/.specgen.json`: what produced the output folder, and the hash of every file in it.

It does two jobs. It marks a folder as specgen's own, so `generate` replaces only folders it
wrote (see `writer.guard`). And it lets `check` decide in milliseconds: when every ingredient of
the output (specgen's version, a fingerprint of the generator's code and templates, the versions
of the formatters whose style is in the output, the config values that reach the output, the
bytes of every input and overlay) is as recorded, and every file on disk has its recorded hash,
a regeneration would write exactly these files, so nothing needs regenerating. Anything else
falls back to a full regeneration and comparison. Nothing here imports black or the readers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterator
from functools import cache
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from generator import __version__
from generator.config import Config

NAME = ".specgen.json"
FORMAT = 1
# Tools whose exact version shapes the output (black's style, datamodel-code-generator's models,
# ruff's import fixes).
OUTPUT_TOOLS = ("black", "datamodel-code-generator", "ruff")
# Config fields that do not reach the generated files (the input patterns are covered by the
# list of files they matched, with their hashes).
NOT_OUTPUT = {"root", "out", "inputs", "overlays", "lint", "diff", "pull"}
IGNORED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
# What the fingerprint reads: the files git holds and the wheel ships, never an editor's backup
# or an untracked stray (CI's fresh clone must compute the committer's fingerprint).
SOURCE_SUFFIXES = (".py", ".json", ".j2")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _walk(
    node: Traversable, prefix: str, skip: set[str]
) -> Iterator[tuple[str, bytes]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name in skip or child.name in IGNORED_DIRS:
            continue
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/", skip)
        elif child.name.endswith(SOURCE_SUFFIXES) and not child.name.startswith("."):
            yield f"{prefix}{child.name}", child.read_bytes()


@cache
def fingerprint() -> str:
    """A hash of the generator's code and templates, the same in a clone, an editable install and
    an installed wheel (the wheel carries the templates inside `generator/`, hence the skip).
    """
    digest = hashlib.sha256()
    files = [
        *_walk(resources.files("generator"), "generator/", {"templates"}),
        *_walk(resources.files("generator.templates"), "templates/", set()),
    ]
    for path, data in files:
        digest.update(f"{path}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def tool_versions() -> dict[str, str]:
    found = {"specgen": __version__}
    for name in OUTPUT_TOOLS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def _display(path: Path, root: Path) -> str:
    """Relative and slash-separated, never absolute (inputs outside the project by name)."""
    try:
        return path.relative_to(root).as_posix()  # what the globs matched: below root
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def config_values(config: Config) -> dict[str, Any]:
    values = {}
    for item in dataclasses.fields(config):
        if item.name not in NOT_OUTPUT:
            value = getattr(config, item.name)
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                value = dataclasses.asdict(value)  # e.g. [tool.specgen.limits]
            values[item.name] = list(value) if isinstance(value, tuple) else value
    return values


def ingredients(config: Config) -> dict[str, Any]:
    """Everything the output is a function of. Raises SpecError when an input is missing."""
    hashes = {}
    for key, paths in (
        ("inputs", config.input_files()),
        ("overlays", config.overlay_files()),
    ):
        hashes[key] = {_display(p, config.root): sha256(p.read_bytes()) for p in paths}
    return {
        "tools": tool_versions(),
        "fingerprint": fingerprint(),
        "config": config_values(config),
        **hashes,
    }


def render(recipe: dict[str, Any], files: dict[str, bytes]) -> bytes:
    """The manifest's bytes: sorted, no timestamps, no absolute paths."""
    return render_hashes(recipe, {path: sha256(data) for path, data in files.items()})


def render_hashes(recipe: dict[str, Any], hashes: dict[str, str]) -> bytes:
    document = {
        "generator": "specgen",
        "format": FORMAT,
        **recipe,
        "files": dict(sorted(hashes.items())),
    }
    return (
        json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    ).encode()


def read(out_dir: Path) -> dict[str, Any] | None:
    """The recorded manifest, or None when there is none (or it is not specgen's)."""
    try:
        loaded = json.loads((out_dir / NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(loaded, dict) or loaded.get("generator") != "specgen":
        return None
    if not isinstance(loaded.get("files"), dict):
        return None
    return loaded


def files_on_disk(out_dir: Path) -> dict[str, Path]:
    """{relative path: file} below `out_dir`, caches of Python tools left out."""
    found: dict[str, Path] = {}
    if not out_dir.is_dir():
        return found
    top = os.fspath(out_dir)
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        prefix = os.path.relpath(root, top).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in names:
            found[prefix + name] = Path(root, name)
    return found


def verdict(config: Config, out_dir: Path) -> tuple[bool, str]:
    """(current, why): current only when the manifest proves a regeneration would change
    nothing. `why` names the first thing that differs (for -v and for the slow path's note).
    """
    recorded = read(out_dir)
    if recorded is None:
        return False, f"{NAME} is missing or unreadable"
    if recorded.get("format") != FORMAT:
        return False, f"{NAME} has another format"
    wanted = ingredients(config)
    for key, value in wanted.items():
        if recorded.get(key) != value:
            return False, _difference(key, recorded.get(key), value)
    on_disk = files_on_disk(out_dir)
    listed = recorded["files"]
    on_disk.pop(NAME, None)
    for path in sorted(set(on_disk) ^ set(listed)):
        if path not in on_disk:
            return False, f"{path} is missing"
        return False, f"{path} is not one of the generated files"
    hashes = {}
    for path in sorted(listed):
        hashes[path] = sha256(on_disk[path].read_bytes())
        if hashes[path] != listed[path]:
            return False, f"{path} was edited"
    if (out_dir / NAME).read_bytes() != render_hashes(wanted, hashes):
        return False, f"{NAME} was edited"
    return True, "every input, setting and file matches the manifest"


def _difference(key: str, old: Any, new: Any) -> str:
    if key in ("inputs", "overlays") and isinstance(old, dict):
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                state = (
                    "is new"
                    if name not in old
                    else "is gone" if name not in new else "changed"
                )
                return f"{key[:-1]} {name} {state}"
    if key == "tools" and isinstance(old, dict):
        return "written by " + version_note(old, new)
    if key == "config" and isinstance(old, dict):
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        return f"config changed: {', '.join(changed)}"
    if key == "fingerprint":
        return "the generator or its templates changed"
    return f"{key} changed"


def version_note(old: dict[str, Any], new: dict[str, Any]) -> str:
    """'black 26.10.1 (this environment has 26.11.0)': which tool versions wrote the folder."""
    return ", ".join(
        f"{name} {old.get(name)}"
        + (
            f" (this environment has {new.get(name)})"
            if old.get(name) != new.get(name)
            else ""
        )
        for name in new
    )
