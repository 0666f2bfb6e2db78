"""`$ref`s that leave their document: never followed by default, never over the network.

With `external_refs = "project"` in `[tool.specgen]`, a relative reference to a JSON or YAML
file inside the project folder (`common.json#/components/schemas/User`, `./user.yaml`) is read
(through the guard's limits) and inlined. Everything else is refused, whatever the setting:
URLs of any scheme (`http:`, `file:`), absolute paths, paths that leave the project folder
(`../`, symlinks out of it), devices and folders. A refused ref is a located error (file, line,
JSON pointer, what was expected: `refusal`), never a silently untyped value; nothing below us
(datamodel-code-generator, jsonschema's `referencing`) ever receives a ref it could follow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from generator.diagnostics import Report
from generator.readers import guard


@dataclass(frozen=True)
class Setting:
    root: Path | None = None
    mode: str = "none"  # "none" | "project"


_ACTIVE: ContextVar[Setting] = ContextVar(
    "specgen_external_refs", default=Setting()  # noqa: B039 (frozen dataclass)
)


@contextmanager
def using(root: Path, mode: str) -> Iterator[None]:
    token = _ACTIVE.set(Setting(root.resolve(), mode))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def is_external(ref: str) -> bool:
    return not ref.startswith("#")


def why_not(ref: str) -> str:
    """Why `ref` is not followed, in a few words for the warning."""
    parts = urlsplit(ref)
    if parts.scheme and len(parts.scheme) > 1:  # "C:" would be a drive letter
        return f"a {parts.scheme}: URL; the generator never fetches or opens URLs"
    if ref.startswith("#"):
        return "it points at nothing in this document"
    if _ACTIVE.get().mode != "project":
        return 'another file; set external_refs = "project" to read files inside the project folder'
    return "not a JSON or YAML file inside the project folder"


def refusal(ref: str) -> str:
    """The error message for a ref that leaves its document and may not be followed."""
    expected = "a local reference (#/...)"
    if _ACTIVE.get().mode == "project":
        expected += (
            " or a relative reference to a JSON or YAML file inside the project folder"
        )
    return f"$ref {ref!r} leaves the document and is not followed ({why_not(ref)}); expected {expected}"


def target_path(ref: str, referrer: str) -> Path | None:
    """The project file `ref` names, or None when it is not allowed (see the module docstring)."""
    setting = _ACTIVE.get()
    if setting.mode != "project" or setting.root is None:
        return None
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    relative = PurePosixPath(unquote(parts.path))
    if relative.is_absolute() or "\\" in parts.path:
        return None
    base = (setting.root / referrer).parent
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(setting.root) or not candidate.is_file():
        return None
    if candidate.suffix.lower() not in (".json", ".yaml", ".yml"):
        return None
    return candidate


def inline(schema: Any, referrer: str, report: Report, depth: int = 0) -> Any:
    """`schema` with every allowed external ref replaced by what it points at (the ref's
    siblings kept); refused refs stay, for the caller to report and drop."""
    if _ACTIVE.get().mode != "project":
        return schema
    if isinstance(schema, list):
        return [inline(item, referrer, report, depth) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and is_external(ref):
        path = target_path(ref, referrer)
        if path is not None and depth < guard.active().max_depth:
            target = _load(path, urlsplit(ref).fragment)
            if isinstance(target, dict):
                setting = _ACTIVE.get()
                assert setting.root is not None
                inner = path.relative_to(setting.root).as_posix()
                siblings = {k: v for k, v in schema.items() if k != "$ref"}
                return {**inline(target, inner, report, depth + 1), **siblings}
    return {
        key: value if key in DATA else inline(value, referrer, report, depth)
        for key, value in schema.items()
    }


def load_ref(ref: str, referrer: str) -> Any:
    """What an allowed external ref points at, with its own external refs inlined; or None."""
    path = target_path(ref, referrer)
    if path is None:
        return None
    target = _load(path, urlsplit(ref).fragment)
    setting = _ACTIVE.get()
    assert setting.root is not None
    return inline(target, path.relative_to(setting.root).as_posix(), Report(), 1)


DATA = ("default", "enum", "const", "example", "examples")


def _load(path: Path, fragment: str) -> Any:
    """The data at `fragment` (a JSON pointer) in a project file, read within the limits."""
    limit = guard.active().max_input_bytes
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
        guard.check_size(data)
        text = data.decode("utf-8-sig")
        if path.suffix.lower() == ".json":
            node: Any = guard.json_loads(text)
        else:
            from generator.readers.refs import YamlLoader, plain_data

            guard.check_yaml(text, YamlLoader)
            node = plain_data(yaml.load(text, Loader=YamlLoader))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    from generator.readers.refs import node_at

    node = node_at(node, unquote(fragment))
    return (
        None if node is None else json.loads(json.dumps(node))
    )  # a copy: the same file may be inlined twice
