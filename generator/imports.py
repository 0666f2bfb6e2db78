"""Imports as ruff leaves them: the templates import everything an endpoint of any kind may
need, and ruff's own fixer drops what a module does not use (F401), sorts the rest (I001) and
sorts `__all__` (RUF022), so that `ruff check` on the generated package finds nothing to say
about imports and exports.

One ruff run covers every rendered module (a few hundred files take well under a second). It
runs in a private temporary folder laid out like the output, with no configuration of anyone's
read (`--isolated`): the package's own name is first-party, the target is the oldest Python the
package supports. The runtime files are copied verbatim and kept import-clean by hand.
"""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

from generator import runcache
from generator.diagnostics import fail
from generator.runcache import NO_CACHE, RunCache

TARGET = "py310"  # templates/package/pyproject.toml.j2: requires-python = ">=3.10"
RULES = "F401,I001,RUF022"
# datamodel-code-generator's models.py also gets pyupgrade's fixes for the package's target:
# `Dict` -> `dict` (with `typing.Dict` then unused) and quoted annotations unquoted.
MODEL_RULES = RULES + ",UP006,UP035,UP037"


def tidy(
    files: dict[str, str],
    package: str,
    skip: frozenset[str],
    rules: str = RULES,
    cache: RunCache = NO_CACHE,
) -> dict[str, str]:
    """`files` with unused imports removed and import blocks sorted in every .py file not in
    `skip`; the other files as they are. `rules`: the ruff fixes applied. A file the last run
    tidied (same ruff, rules, package, path and text) comes from `cache`: a regeneration where
    one endpoint changed runs ruff on its files only."""
    tidied = dict(files)
    todo: list[str] = []
    keys: dict[str, str] = {}
    for path in sorted(p for p in files if p.endswith(".py") and p not in skip):
        keys[path] = runcache.key(
            _ruff_version(), rules, TARGET, package, path, files[path]
        )
        known = cache.get("tidy", keys[path])
        if isinstance(known, str):
            tidied[path] = known
        else:
            todo.append(path)
    if todo:
        for path, text in _run_ruff(files, todo, package, rules).items():
            tidied[path] = text
            cache.put("tidy", keys[path], text)
    return tidied


def _run_ruff(
    files: dict[str, str], todo: list[str], package: str, rules: str
) -> dict[str, str]:
    from ruff import find_ruff_bin  # type: ignore[import-untyped,unused-ignore]

    tidied: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="specgen-imports-") as folder:
        root = Path(folder)
        # What ruff sees around a file decides what is first-party: the top-level folders
        # are all there, whichever files the cache already had.
        for top in {path.split("/")[0] for path in files if "/" in path}:
            (root / top).mkdir()
        for path in todo:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[path].encode("utf-8"))
        done = subprocess.run(
            [
                find_ruff_bin(),
                "check",
                "--isolated",
                "--no-cache",
                "--fix",
                "--exit-zero",
                "--quiet",
                "--select",
                rules,
                "--target-version",
                TARGET,
                "--config",
                f"lint.isort.known-first-party = [{package!r}]",
                "--",
                *todo,
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise fail(
                todo[0],
                None,
                f"ruff could not tidy the imports of the generated code: {done.stderr.strip()[-500:]}",
            )
        for path in todo:
            tidied[path] = (root / path).read_bytes().decode("utf-8")
    return tidied


@cache
def _ruff_version() -> str:
    # reading a distribution's metadata takes milliseconds: once per process
    from importlib import metadata

    return metadata.version("ruff")
