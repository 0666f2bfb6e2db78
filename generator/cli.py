"""Command line: `specgen generate` and `specgen check` (also `python -m generator ...`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import config as config_module
from generator import pipeline, writer
from generator.diagnostics import Report, SpecError

EXIT_OK, EXIT_STALE, EXIT_SPEC_ERROR = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="specgen", description="Apifox exports -> typed client, docs and contract tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("generate", "read specs/, write the registry, client package, docs and contract tests (all or nothing)"),
        ("check", "exit 0 if generated/ is current, 1 listing stale files; writes nothing"),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", type=Path, default=Path("pyproject.toml"), help="pyproject.toml with [tool.specgen] (default: ./pyproject.toml)")
        sub.add_argument("--no-cache", action="store_true", help="format everything again instead of reusing .specgen-cache/")
    args = parser.parse_args(argv)
    report = Report()
    try:
        config = config_module.load(args.config)
        _, files = pipeline.build(config, report, use_cache=not args.no_cache)
    except SpecError as error:
        _print_warnings(report)
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return EXIT_SPEC_ERROR
    _print_warnings(report)
    if args.command == "check":
        return _check(config.out_dir, files, config.out)
    problems = writer.stale(config.out_dir, files)
    if problems:
        writer.write_tree(config.out_dir, files)
    print(f"{config.out}/: {len(files)} files, {len(problems)} changed")
    return EXIT_OK


def _check(out_dir: Path, files: dict[str, bytes], shown: str) -> int:
    problems = writer.stale(out_dir, files)
    if not problems:
        print(f"{shown}/ is current ({len(files)} files)")
        return EXIT_OK
    for path, kind in problems:
        print(f"{kind}: {shown}/{path}")
    print(f"{shown}/ is stale: {len(problems)} files differ; run `specgen generate`", file=sys.stderr)
    return EXIT_STALE


def _print_warnings(report: Report) -> None:
    for warning in report.warnings:
        print(warning, file=sys.stderr)
