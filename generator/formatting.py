"""{output path: text} -> the same, Python files formatted.

Black, once per distinct text: results are cached by content hash, so a regeneration where
nothing changed formats nothing, and a changed spec reformats only its own endpoint's files.
What is not cached is formatted on every core: black is the slowest stage by far."""

from __future__ import annotations

import ast
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import black
from black.parsing import InvalidInput

from generator.diagnostics import fail
from generator.progress import SILENT, Progress

BLACK_VERSION: str = black.__version__  # type: ignore[attr-defined]

MODE = black.Mode()  # black's defaults, the same `black --check generated/` uses
PARALLEL_FROM_LINES = 4000  # below this, starting workers costs more than it saves


def format_python(
    files: dict[str, str], cache_dir: Path | None, progress: Progress = SILENT
) -> dict[str, str]:
    """Format every .py file; each must parse, or generation fails naming the file."""
    formatted = dict(files)
    todo: dict[str, str] = {}
    for path, text in files.items():
        if not path.endswith(".py"):
            continue
        cached = _cached(cache_dir, text)
        if cached is not None:
            formatted[path] = cached
        else:
            todo[path] = text
    for path, result in _format_all(todo, progress).items():
        formatted[path] = result
        _store(cache_dir, todo[path], result)
    return formatted


def _format_all(todo: dict[str, str], progress: Progress) -> dict[str, str]:
    workers = min(os.cpu_count() or 1, len(todo))
    lines = sum(text.count("\n") for text in todo.values())
    results: dict[str, str] = {}
    if (
        workers < 2
        or lines < PARALLEL_FROM_LINES
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for path, text in todo.items():
            results[path] = format_one(path, text)
            progress.step("formatting", len(results), len(todo))
        return results
    # Largest first, one file per task: the pool stays balanced.
    order = sorted(todo, key=lambda path: -len(todo[path]))
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        for path, result in zip(
            order,
            pool.map(format_one, order, [todo[path] for path in order]),
            strict=True,
        ):
            results[path] = result
            progress.step("formatting", len(results), len(todo))
    return results


def format_one(path: str, text: str) -> str:
    try:
        ast.parse(text, filename=path)
        return black.format_str(text, mode=MODE)
    except (SyntaxError, InvalidInput) as exc:
        raise fail(
            path,
            getattr(exc, "lineno", None),
            f"generated code does not parse ({exc}); this is a bug in a template",
        ) from None


def _key(text: str) -> str:
    """Everything black's output depends on: its version, its mode, the text."""
    return hashlib.sha256(f"{BLACK_VERSION}\0{MODE!r}\0{text}".encode()).hexdigest()


def _cached(cache_dir: Path | None, text: str) -> str | None:
    if cache_dir is None:
        return None
    key = _key(text)
    path = cache_dir / key[:2] / f"{key}.py"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _store(cache_dir: Path | None, text: str, result: str) -> None:
    if cache_dir is None:
        return
    key = _key(text)
    path = cache_dir / key[:2] / f"{key}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(result, encoding="utf-8")
    temporary.replace(path)
