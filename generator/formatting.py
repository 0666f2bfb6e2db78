"""Black, only where the output cannot be black-clean by construction, once per distinct text.

The runtime files are stored formatted and copied; the templates emit black's layout, and
`layout.pieces` hands black only the top-level statements it cannot vouch for (most often
datamodel-code-generator's long lines). Results are cached by content hash; what is not cached
is formatted on every core when there is much of it."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from generator import layout, runcache
from generator.diagnostics import fail
from generator.progress import SILENT, Progress
from generator.runcache import NO_CACHE, RunCache

BLACK_VERSION: str = metadata.version("black")
# black's defaults for Python 3.10+ (the generated package's floor): the mode the repository's
# `[tool.black] target-version = ["py310"]` gives `black --check generated/`
MODE_NAME = "Mode(target_versions={PY310})"
PARALLEL_FROM_LINES = 4000  # below this, starting workers costs more than it saves


def format_python(
    files: dict[str, str],
    cache_dir: Path | None,
    progress: Progress = SILENT,
    verbatim: frozenset[str] = frozenset(),
    foreign: frozenset[str] = frozenset(),
    settled: RunCache = NO_CACHE,
) -> dict[str, str]:
    """Every .py file as black would leave it; each must parse, or generation fails naming the
    file. `verbatim` files are stored formatted and copied; the others are laid out by their
    templates, and only their pieces that `layout` cannot vouch for go through black; in
    `foreign` files (another tool's layout) every statement split over lines goes too.
    `settled` holds each whole file's result from the last run (the generator's code is in
    its place, as `layout` shapes the result): a regeneration where one endpoint changed lays
    out only its files.
    """
    formatted = dict(files)
    plans: dict[str, list[tuple[bool, str]]] = {}
    todo: dict[str, str] = {}  # piece text -> the file it is from (for errors)
    done: dict[str, str] = {}
    for path, text in files.items():
        if not path.endswith(".py") or path in verbatim:
            continue
        known = settled.get("settled", _settled_key(path in foreign, text))
        if isinstance(known, str):
            formatted[path] = known
            continue
        plans[path] = layout.pieces(path, text, strict=path in foreign)
        for needs_black, piece in plans[path]:
            if not needs_black or piece in done or piece in todo:
                continue
            cached = _cached(cache_dir, piece)
            if cached is not None:
                done[piece] = cached
            else:
                todo[piece] = path
    for piece, result in _format_all(todo, progress).items():
        done[piece] = result
        _store(cache_dir, piece, result)
    for path, plan in plans.items():
        formatted[path] = "".join(done[p] if black else p for black, p in plan)
        settled.put(
            "settled", _settled_key(path in foreign, files[path]), formatted[path]
        )
    return formatted


def _settled_key(strict: bool, text: str) -> str:
    return runcache.key(BLACK_VERSION, MODE_NAME, "strict" if strict else "plain", text)


def _format_all(todo: dict[str, str], progress: Progress) -> dict[str, str]:
    """{piece: black's output} for pieces keyed to the file they come from."""
    workers = min(os.cpu_count() or 1, len(todo))
    lines = sum(text.count("\n") for text in todo)
    results: dict[str, str] = {}
    if (
        workers < 2
        or lines < PARALLEL_FROM_LINES
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for text, path in todo.items():
            results[text] = format_one(path, text)
            progress.step("formatting", len(results), len(todo))
        return results
    # Largest first, one file per task: the pool stays balanced.
    order = sorted(todo, key=lambda text: -len(text))
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        for text, result in zip(
            order,
            pool.map(format_one, [todo[text] for text in order], order),
            strict=True,
        ):
            results[text] = result
            progress.step("formatting", len(results), len(todo))
    return results


def format_one(path: str, text: str) -> str:
    import black  # only when something needs it: most runs format nothing
    from black.parsing import InvalidInput

    try:
        return black.format_str(text, mode=black_mode())
    except InvalidInput as exc:
        raise fail(
            path,
            getattr(exc, "lineno", None),
            f"generated code does not parse ({exc}); this is a bug in a template",
        ) from None


def black_mode() -> Any:
    import black
    from black.mode import TargetVersion

    return black.Mode(target_versions={TargetVersion.PY310})


def _key(text: str) -> str:
    """Everything black's output depends on: its version, its mode, the text."""
    return hashlib.sha256(f"{BLACK_VERSION}\0{MODE_NAME}\0{text}".encode()).hexdigest()


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
