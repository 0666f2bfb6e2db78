"""Time `specgen generate` / `check` on the seed specs and on a corpus scaled from them.

    .venv/bin/python benchmarks/bench_generate.py [--endpoints 500] [--repeat 3]

Everything runs in-process, each scenario in a fresh temporary directory, so the repo's own
specs, outputs and .specgen-cache/ are never touched and the cache state is known:
  cold  = first `generate` in an empty directory (no outputs, empty black cache)
  warm  = `generate` again in the same directory (cache populated, outputs already current)
  check = `check` in that directory (outputs current)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator import config as config_module  # noqa: E402
from generator import (  # noqa: E402
    formatting,
    models,
    pipeline,
    registry,
    render,
    writer,
)
from generator.config import Config  # noqa: E402
from generator.diagnostics import Report  # noqa: E402

SEEDS = sorted((REPO / "specs" / "fal").glob("*.txt"))
METHOD_LINE = re.compile(
    rb"^(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) +(/\S+)", re.MULTILINE
)  # POST /fal-ai/x
SCALED_PYPROJECT = """\
[tool.specgen]
inputs = ["specs/*.txt"]
out = "generated"
package = "bench_api"
strip_name_prefixes = ["/fal-ai/"]
"""


# --- projects: a pyproject.toml and its specs in a temporary directory ----------------------


def seed_project(root: Path) -> Path:
    """The repo's own pyproject.toml (its [tool.specgen] table) and a copy of its specs/ (overlays too)."""
    shutil.copytree(REPO / "specs", root / "specs")
    (root / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
    return root / "pyproject.toml"


def scaled_project(root: Path, endpoints: int) -> Path:
    """`endpoints` spec files: the seeds round-robin, copy i with its path made unique by `-i`."""
    seeds = [(seed, endpoint_path(seed)) for seed in SEEDS]
    (root / "specs").mkdir(parents=True)
    for i in range(endpoints):
        seed, path = seeds[i % len(seeds)]
        data = seed.read_bytes().replace(path.encode(), f"{path}-{i}".encode())
        (root / "specs" / f"{seed.stem}-{i}.txt").write_bytes(data)
    (root / "pyproject.toml").write_text(SCALED_PYPROJECT, encoding="utf-8")
    return root / "pyproject.toml"


def endpoint_path(spec: Path) -> str:
    match = METHOD_LINE.search(spec.read_bytes())
    if match is None:
        raise SystemExit(f"{spec}: no `METHOD /path` line, cannot scale it")
    return match[1].decode()


# --- the commands, as the CLI runs them -------------------------------------------------------


def generate(pyproject: Path) -> tuple[dict[str, Any], dict[str, bytes], int]:
    """`specgen generate`: (registry, files, number of files written)."""
    config = config_module.load(pyproject)
    reg, files = pipeline.build(config, Report())
    changed = writer.stale(config.out_dir, files)
    if changed:
        writer.write_tree(config.out_dir, files)
    return reg, files, len(changed)


def check(pyproject: Path) -> int:
    """`specgen check`: the number of stale files (0 = exit code 0)."""
    config = config_module.load(pyproject)
    _, files = pipeline.build(config, Report())
    return len(writer.stale(config.out_dir, files))


def timed(function: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


@contextmanager
def project(make: Callable[[Path], Path]) -> Iterator[Path]:
    """A fresh project with its own (empty) cache folder, never the user's cache."""
    with tempfile.TemporaryDirectory(prefix="specgen-bench-") as tmp:
        previous = os.environ.get(pipeline.CACHE_ENV)
        os.environ[pipeline.CACHE_ENV] = str(Path(tmp) / "cache")
        try:
            yield make(Path(tmp) / "project")
        finally:
            if previous is None:
                del os.environ[pipeline.CACHE_ENV]
            else:
                os.environ[pipeline.CACHE_ENV] = previous


# --- scenarios --------------------------------------------------------------------------------


def measure(
    name: str, make: Callable[[Path], Path], expected: int, cold_runs: int, repeat: int
) -> list[dict[str, Any]]:
    """`cold_runs` fresh directories; in each, one cold generate then `repeat` warm generates and checks."""
    times: dict[str, list[float]] = {"cold": [], "warm": [], "check": []}
    for _ in range(cold_runs):
        with project(make) as pyproject:
            seconds, (reg, files, written) = timed(generate, pyproject)
            times["cold"].append(seconds)
            sanity(name, reg, files, written, expected)
            for _ in range(repeat):
                seconds, (_, again, written) = timed(generate, pyproject)
                times["warm"].append(seconds)
                expect(
                    written == 0 and again == files,
                    f"{name}: warm regeneration changed {written} files",
                )
                seconds, stale = timed(check, pyproject)
                times["check"].append(seconds)
                expect(
                    stale == 0,
                    f"{name}: check found {stale} stale files right after generate",
                )
    py_lines = sum(
        data.count(b"\n") for path, data in files.items() if path.endswith(".py")
    )
    cold = statistics.median(times["cold"])
    rows = []
    for scenario, samples in times.items():
        seconds = statistics.median(samples)
        rows.append(
            {
                "scenario": f"{name} {scenario}",
                "endpoints": expected,
                "files": len(files),
                "py_lines": py_lines,
                "runs": len(samples),
                "seconds": seconds,
                "rate": expected / seconds,
                "ratio": seconds / cold,
            }
        )
    return rows


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark sanity check failed: {message}")


def sanity(
    name: str, reg: dict[str, Any], files: dict[str, bytes], written: int, expected: int
) -> None:
    count = len(reg["endpoints"])
    expect(
        count == expected,
        f"{name}: registry has {count} endpoints, expected {expected}",
    )
    expect(
        len({e["path"] for e in reg["endpoints"]}) == expected,
        f"{name}: endpoint paths are not unique",
    )
    expect(
        written == len(files),
        f"{name}: cold generate wrote {written} of {len(files)} files",
    )
    if reg["warnings"]:
        print(
            f"note: {name}: {len(reg['warnings'])} warnings, e.g. {reg['warnings'][0]['message']}"
        )


def stages(make: Callable[[Path], Path]) -> dict[str, float]:
    """A cold run split into the pipeline's stages, called directly (fresh directory, empty cache)."""
    with project(make) as pyproject:
        config: Config = config_module.load(pyproject)
        model_seconds = []
        original = models.source

        def timed_models(
            reg: dict[str, Any], cache: Any = None
        ) -> str:  # datamodel-code-generator, inside render
            seconds, text = timed(original, reg, cache)
            model_seconds.append(seconds)
            return text

        result = {}
        result["registry.build"], reg = timed(registry.build, config, Report())
        models.source = timed_models  # render.outputs calls models.source(...)
        try:
            result["render.outputs"], texts = timed(render.outputs, reg)
        finally:
            models.source = original
        result["  of which models.source"] = sum(model_seconds)
        cache = pipeline.cache_root() / "black"
        result["formatting.format_python"], formatted = timed(
            formatting.format_python, texts, cache
        )
        files = {path: text.encode("utf-8") for path, text in sorted(formatted.items())}
        result["writer.write_tree"], _ = timed(writer.write_tree, config.out_dir, files)
        return result


# --- output -----------------------------------------------------------------------------------


def print_table(rows: list[dict[str, Any]]) -> None:
    header = f"{'scenario':<14} {'endpoints':>9} {'files':>6} {'py lines':>9} {'runs':>4} {'seconds':>9} {'endpoints/s':>11} {'vs cold':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scenario']:<14} {r['endpoints']:>9} {r['files']:>6} {r['py_lines']:>9} {r['runs']:>4}"
            f" {r['seconds']:>9.3f} {r['rate']:>11.1f} {r['ratio']:>7.2f}"
        )


def print_stages(title: str, result: dict[str, float]) -> None:
    total = sum(seconds for name, seconds in result.items() if not name.startswith(" "))
    print(f"\n{title} (total {total:.3f} s)")
    for name, seconds in result.items():
        print(f"  {name:<28} {seconds:>8.3f} s {100 * seconds / total:>5.1f} %")


def revision() -> str:
    """The commit measured, `+dirty` when the generator or its templates have local changes."""
    git = ["git", "-C", str(REPO)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "generator", "templates"],
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--endpoints",
        type=int,
        default=500,
        help="size of the scaled corpus (default 500)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="seed cold runs, and warm/check runs per directory (default 3)",
    )
    parser.add_argument(
        "--scaled-cold-runs",
        type=int,
        default=1,
        help="cold runs on the scaled corpus (default 1)",
    )
    parser.add_argument(
        "--no-stages",
        action="store_true",
        help="skip the per-stage breakdown (one more cold run each)",
    )
    args = parser.parse_args(argv)

    # One untimed run first, so lazy imports and template compilation are not charged to a scenario.
    with project(seed_project) as pyproject:
        pipeline.build(config_module.load(pyproject), Report(), use_cache=False)

    scaled = lambda root: scaled_project(root, args.endpoints)  # noqa: E731
    rows = measure("seeds", seed_project, len(SEEDS), args.repeat, args.repeat)
    rows += measure(
        "scaled", scaled, args.endpoints, args.scaled_cold_runs, args.repeat
    )
    print(
        f"\nspecgen {revision()}, Python {sys.version.split()[0]}; medians of `runs`, seconds of wall time;"
    )
    print("'vs cold' = seconds / cold seconds of the same corpus\n")
    print_table(rows)
    if not args.no_stages:
        print_stages(
            f"cold stages, seeds ({len(SEEDS)} endpoints)", stages(seed_project)
        )
        print_stages(
            f"cold stages, scaled ({args.endpoints} endpoints)", stages(scaled)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
