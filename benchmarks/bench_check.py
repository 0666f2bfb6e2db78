"""`specgen check` on a fresh clone (the manifest's fast path), no-op `generate`, and the import
time of `generator.cli`, each as a whole process, median of --repeat runs.

    .venv/bin/python benchmarks/bench_check.py [--endpoints 500] [--repeat 3]

A "fresh clone" is a copy of what git holds (pyproject.toml, specs/, generated/) with an empty
cache folder: what CI sees.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_generate import scaled_project, seed_project  # noqa: E402


def specgen(*args: str, cwd: Path, cache: Path) -> float:
    env = {**os.environ, "SPECGEN_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"specgen {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        )
    return elapsed


def median(runs: list[float]) -> str:
    return f"{statistics.median(runs):.2f} s"


def scenario(name: str, make: object, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="specgen-check-") as tmp:
        root = Path(tmp)
        pyproject = make(root / "work")  # type: ignore[operator]
        work = pyproject.parent
        cold = specgen("generate", "-q", cwd=work, cache=root / "cache")
        clone = root / "clone"
        clone.mkdir()
        for name_ in ("pyproject.toml", "specs", "generated"):
            source = work / name_
            (shutil.copytree if source.is_dir() else shutil.copy)(source, clone / name_)
        checks = [
            specgen("check", "-q", cwd=clone, cache=root / f"empty-{i}")
            for i in range(repeat)
        ]
        noops = [
            specgen("generate", "-q", cwd=clone, cache=root / f"empty-g{i}")
            for i in range(repeat)
        ]
        files = sum(1 for p in (work / "generated").rglob("*") if p.is_file())
        print(
            f"{name}: {files} files; cold generate {cold:.2f} s; "
            f"check on a fresh clone {median(checks)}; no-op generate {median(noops)}"
        )


def import_time(repeat: int) -> None:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import generator.cli"], check=True)
        runs.append(time.perf_counter() - start)
    baseline = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.perf_counter() - start)
    print(
        f"import generator.cli: {median(runs)} whole process "
        f"(bare interpreter {median(baseline)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import_time(args.repeat)
    scenario("this repo's specs", seed_project, args.repeat)
    scenario(
        f"{args.endpoints} endpoints",
        lambda root: scaled_project(root, args.endpoints),
        args.repeat,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
