"""Time reading the largest corpus exports (`readers.read_file`), and linting them.

    .venv/bin/python benchmarks/bench_read.py [--repeat 5] [FILE ...]

Reading includes finding each endpoint's line (readers/positions.py, found lazily); lint adds the
line and column of every finding. Without FILE the largest export of each format in the two
corpora is timed. Median wall time of `--repeat` runs after one untimed run.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from contextlib import redirect_stdout
from pathlib import Path

from generator import cli, readers
from generator.diagnostics import Report

ROOT = Path(__file__).resolve().parent.parent
CORPORA = (ROOT / "tests" / "fixtures" / "apifox", Path("/work/shared/corpus/apifox-2"))


def largest() -> list[Path]:
    found: dict[str, Path] = {}
    for corpus in CORPORA:
        for path in corpus.glob("*/*"):
            kind = path.parent.name + path.suffix
            if path.name != "SOURCES.md" and (
                kind not in found or path.stat().st_size > found[kind].stat().st_size
            ):
                found[kind] = path
    return [found[kind] for kind in sorted(found)]


def median_ms(run: object, repeat: int) -> float:
    assert callable(run)
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    print(f"{'read ms':>9} {'lint ms':>9} {'KB':>6}  file")
    for path in args.files or largest():

        def read(path: Path = path) -> None:
            readers.read_file(path, path.name, Report())

        def lint(path: Path = path) -> None:
            with redirect_stdout(io.StringIO()):
                cli.main(["lint", str(path), "--format", "json", "--fail-on", "none"])

        print(
            f"{median_ms(read, args.repeat):9.1f} {median_ms(lint, args.repeat):9.1f} "
            f"{path.stat().st_size // 1024:6d}  {path.name}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
