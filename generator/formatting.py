"""Black, once per distinct text: results are cached by content hash, so a regeneration where
nothing changed formats nothing."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import black

from generator.diagnostics import fail

MODE = black.Mode()  # black's defaults, the same `black --check generated/` uses


def format_python(files: dict[str, str], cache_dir: Path | None) -> dict[str, str]:
    """Format every .py file; each must parse, or generation fails naming the file."""
    formatted = {}
    for path, text in files.items():
        formatted[path] = _format_one(path, text, cache_dir) if path.endswith(".py") else text
    return formatted


def _format_one(path: str, text: str, cache_dir: Path | None) -> str:
    key = hashlib.sha256(f"{black.__version__}\0{text}".encode()).hexdigest()
    cached = cache_dir / key[:2] / f"{key}.py" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        return cached.read_text(encoding="utf-8")
    try:
        ast.parse(text, filename=path)
        result = black.format_str(text, mode=MODE)
    except (SyntaxError, black.InvalidInput) as exc:
        raise fail(path, getattr(exc, "lineno", None), f"generated code does not parse ({exc}); this is a bug in a template") from None
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_text(result, encoding="utf-8")
        temporary.replace(cached)
    return result
