"""What the last regeneration of this project worked out, kept in one file of the user cache.

A regeneration where one endpoint changed redoes that endpoint's work only: ruff's import
fixes, black's verdict on whole files, the registry schema's check of each endpoint and the
rendered templates of the others come from the last run. Every entry is keyed by all that its
result depends on, so a stale entry is never used, only missed. One file per project and
generator fingerprint, read once and replaced atomically once, holding what this run used:
a cold run pays one write, not one per output file. A file that does not read back is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


class RunCache:
    """{kind: {key: value}} from the last run at `path`, and what this run used or made."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._last: dict[str, dict[str, Any]] = _load(path)
        self._this: dict[str, dict[str, Any]] = {}

    @property
    def enabled(self) -> bool:
        """False for NO_CACHE (or any cache without a file): nothing is kept."""
        return self._path is not None

    def get(self, kind: str, key: str) -> Any:
        """The value stored under `key`, or None; a value used now is kept for the next run."""
        found = self._last.get(kind, {}).get(key)
        if found is not None:
            self._this.setdefault(kind, {})[key] = found
        return found

    def put(self, kind: str, key: str, value: Any) -> None:
        if self.enabled:
            self._this.setdefault(kind, {})[key] = value

    def save(self) -> None:
        """Replace the file with this run's entries; a failure to write only costs time."""
        if self._path is None:  # (not `enabled`: mypy narrows the path here)
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(self._this, ensure_ascii=False), "utf-8")
            temporary.replace(self._path)
        except OSError:
            pass


def key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _load(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None or not path.is_file():
        return {}
    try:
        loaded = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {kind: v for kind, v in loaded.items() if isinstance(v, dict)}


NO_CACHE = RunCache(None)
