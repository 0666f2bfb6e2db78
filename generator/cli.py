"""Command line: `specgen generate | check | diff | lint` (also `python -m generator ...`).

generate and check keep their exit statuses (0; check 1 = stale; 2 = bad input). diff and lint
use buf's: 0 clean, 1 the tool failed (bad input included), 100 findings at or above --fail-on.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from generator import config as config_module
from generator import diff, findings, lint, pipeline, writer
from generator.config import Config
from generator.diagnostics import Report, SpecError, fail
from generator.findings import Finding, Outcome

EXIT_OK, EXIT_STALE, EXIT_SPEC_ERROR = 0, 1, 2
DEFAULT_CONFIG = Path("pyproject.toml")
CHECK_RULES = {
    "generated-changed": "error",
    "generated-missing": "error",
    "generated-extra": "error",
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SpecError as error:
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        if args.command in ("generate", "check"):
            print("nothing was written", file=sys.stderr)
            return EXIT_SPEC_ERROR
        return findings.EXIT_TOOL_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specgen",
        description="Apifox exports -> typed client, docs and contract tests.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, run: Any) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        sub.add_argument(
            "--config",
            type=Path,
            default=DEFAULT_CONFIG,
            help="pyproject.toml with [tool.specgen] (default: ./pyproject.toml)",
        )
        if name in ("generate", "check"):
            one_off = sub.add_argument_group("one-off run, no config file needed")
            one_off.add_argument(
                "--input",
                dest="inputs",
                action="append",
                metavar="PATH",
                help="an export to read (any format; repeat for several)",
            )
            one_off.add_argument("--out", help="output directory (default: generated)")
            one_off.add_argument(
                "--package",
                help="Python package name of the client (default: api_client)",
            )
        return sub

    def formats(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--format",
            dest="formats",
            action="append",
            type=_format,
            metavar="FORMAT[=PATH]",
            help=f"one of {', '.join(findings.FORMATS)}; repeat for several; =PATH writes a file (default: text)",
        )

    generate = command(
        "generate",
        "read specs/, write the registry, client package, docs and contract tests (all or nothing)",
        _generate,
    )
    generate.add_argument(
        "--no-cache",
        action="store_true",
        help="format everything again instead of reusing .specgen-cache/",
    )
    generate.add_argument(
        "--changelog",
        action="store_true",
        help="prepend what changed (and the suggested version) to CHANGELOG.md beside pyproject.toml",
    )
    check = command(
        "check",
        "exit 0 if generated/ is current, 1 listing stale files; writes nothing under generated/",
        _check,
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="format everything again instead of reusing .specgen-cache/",
    )
    check.add_argument(
        "--show-diff",
        action="store_true",
        help="also print the unified diff of each changed file",
    )
    formats(check)
    compare = command(
        "diff",
        "classify what changed between two versions of the API docs (exit 100 on breaking changes)",
        _diff,
    )
    compare.add_argument(
        "sides",
        nargs="*",
        metavar="OLD [NEW]",
        help="registry .json, pyproject.toml, folder of specs or git ref; NEW defaults to the working tree, "
        "OLD to the committed generated/registry.json",
    )
    compare.add_argument(
        "--base",
        metavar="REF",
        help="compare with the specs at this git ref (e.g. origin/main), without a checkout",
    )
    compare.add_argument(
        "--fail-on",
        choices=("breaking", "warning", "info", "none"),
        default="breaking",
        help="exit 100 on findings at or above this level (default: breaking)",
    )
    compare.add_argument(
        "--suggest-version",
        action="store_true",
        help="print the next version of the generated package (major/minor/patch)",
    )
    formats(compare)
    check_docs = command(
        "lint",
        "report smells in the API docs: rule ids, file:line, JSON pointers",
        _lint,
    )
    check_docs.add_argument(
        "source",
        nargs="?",
        help="what to lint (as a diff side); default: the inputs of --config",
    )
    check_docs.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "none"),
        default="error",
        help="exit 100 on findings at or above this level (default: error)",
    )
    formats(check_docs)
    _add_pull_and_mock(command)
    return parser


def _add_pull_and_mock(command: Any) -> None:
    """`specgen pull` (generator/pull.py) and `specgen mock` (generator/mockserve.py)."""
    pull = command(
        "pull",
        "fetch the exports named in [[tool.specgen.pull]] and update specs/ (all or nothing)",
        _pull,
    )
    pull.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when any source differs from specs/",
    )
    pull.add_argument(
        "--generate",
        action="store_true",
        help="run `specgen generate` afterwards",
    )
    pull.add_argument(
        "--changelog",
        action="store_true",
        help="with --generate: prepend what changed to CHANGELOG.md",
    )
    mock = command(
        "mock",
        "serve the generated client's mock server (documented examples, CORS for localhost)",
        _mock,
    )
    mock.add_argument(
        "--input",
        dest="inputs",
        action="append",
        metavar="PATH",
        help="serve a mock of this export instead of the configured project (repeat for several)",
    )
    from generator.mockserve import add_server_options

    add_server_options(mock)


def _pull(args: argparse.Namespace) -> int:
    from generator import pull

    if args.check and (args.generate or args.changelog):
        print(
            "pull: --check writes nothing, so it takes no --generate/--changelog",
            file=sys.stderr,
        )
        return EXIT_SPEC_ERROR
    try:
        config = config_module.load(args.config)
        outcome = pull.run(config, check=args.check, where=str(args.config))
    except SpecError as error:
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return EXIT_SPEC_ERROR
    for target in pull.not_read(config, [p.source for p in outcome.pulled]):
        print(
            f"warning: {target} is not matched by [tool.specgen] inputs; generate will not read it",
            file=sys.stderr,
        )
    if args.check:
        return EXIT_STALE if outcome.changed else EXIT_OK
    if args.generate:
        again = ["generate", "--config", str(args.config)]
        return main([*again, "--changelog"] if args.changelog else again)
    return EXIT_OK


def _mock(args: argparse.Namespace) -> int:
    from generator import mockserve

    return mockserve.run(args)


def _format(value: str) -> tuple[str, Path | None]:
    kind, _, path = value.partition("=")
    kind = {"github-actions": "github", "md": "markdown", "xml": "junit"}.get(
        kind, kind
    )
    if kind not in findings.FORMATS:
        raise argparse.ArgumentTypeError(
            f"unknown format {value!r}: expected one of {', '.join(findings.FORMATS)}"
        )
    return kind, Path(path) if path else None


def _emit(outcome: Outcome, outputs: list[tuple[str, Path | None]] | None) -> None:
    for kind, path in outputs or [("text", None)]:
        rendered = findings.render(kind, outcome)
        if path is None:
            sys.stdout.write(rendered)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rendered, encoding="utf-8")


# --- generate and check ------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Config:
    """From --input/--out/--package when given (no config file needed), else from --config."""
    if not args.inputs:
        return config_module.load(args.config)
    return config_module.from_arguments(Path.cwd(), args.inputs, args.out, args.package)


def _generate(args: argparse.Namespace) -> int:
    report = Report()
    try:
        config = _config(args)
        registry, files = pipeline.build(config, report, use_cache=not args.no_cache)
    finally:
        _print_warnings(report)
    previous = _previous_registry(config) if args.changelog else None
    version = diff.current_version(config) if args.changelog else ""
    problems = writer.stale(config.out_dir, files)
    if problems:
        writer.write_tree(config.out_dir, files)
    print(f"{config.out}/: {len(files)} files, {len(problems)} changed")
    if previous is not None and previous.get("endpoints") != registry["endpoints"]:
        found = _diff_settings(config).apply(diff.compare(previous, registry))
        advice = diff.suggestion(found, True, version)
        if not previous.get(
            "endpoints"
        ):  # the first generation: the current version, as it is
            advice = {"current": version, "bump": "initial", "next": version}
        entry = diff.changelog_entry(
            config.package, advice["next"], found, datetime.date.today()
        )
        diff.prepend_changelog(config.root / "CHANGELOG.md", entry)
        print(
            f"CHANGELOG.md: added {config.package} {advice['next']} ({advice['bump']}, {len(found)} changes)"
        )
    return EXIT_OK


def _previous_registry(config: Config) -> dict[str, Any]:
    path = config.out_dir / "registry.json"
    try:
        return (
            json.loads(path.read_text(encoding="utf-8"))
            if path.is_file()
            else dict(diff.EMPTY)
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        print(
            f"{config.out}/registry.json is unreadable; the changelog lists every endpoint as added",
            file=sys.stderr,
        )
        return dict(diff.EMPTY)


def _check(args: argparse.Namespace) -> int:
    report = Report()
    try:
        config = _config(args)
        _, files = pipeline.build(config, report, use_cache=not args.no_cache)
    finally:
        _print_warnings(report)
    on_disk = writer.on_disk(config.out_dir)
    problems = writer.stale(config.out_dir, files)
    outcome = Outcome(
        "check",
        [
            _stale(config.out, path, kind, on_disk.get(path), files.get(path))
            for path, kind in problems
        ],
        "error",
    )
    for kind, path in args.formats or [("text", None)]:
        if kind == "text" and path is None:
            _check_text(
                config.out, len(files), outcome.findings, on_disk, files, args.show_diff
            )
        else:
            _emit(outcome, [(kind, path)])
    return EXIT_STALE if problems else EXIT_OK


def _lines(data: bytes | None) -> list[str] | None:
    try:
        return data.decode("utf-8").splitlines() if data is not None else []
    except UnicodeDecodeError:
        return None


def _stale(
    out: str, path: str, kind: str, disk: bytes | None, wanted: bytes | None
) -> Finding:
    """A stale file as a finding, with +added/-removed line counts and the first line that differs."""
    old, new = _lines(disk), _lines(wanted)
    added = removed = 0
    first = None
    if old is not None and new is not None:
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
            None, old, new, autojunk=False
        ).get_opcodes():
            if tag != "equal":
                removed, added = removed + i2 - i1, added + j2 - j1
                first = first or (i1 + 1 if old else None)
    counts = f"+{added} -{removed} lines"
    message = {
        "changed": f"{out}/{path} is out of date ({counts}); run `specgen generate`",
        "missing": f"{out}/{path} is missing ({counts}); run `specgen generate`",
        "extra": f"{out}/{path} is no longer generated ({counts}); run `specgen generate`",
    }[kind]
    details = {"kind": kind, "added": added, "removed": removed}
    return Finding(
        f"generated-{kind}",
        "error",
        message,
        file=f"{out}/{path}",
        line=first,
        details=details,
    )


def _check_text(
    out: str,
    total: int,
    stale: list[Finding],
    disk: dict[str, bytes],
    files: dict[str, bytes],
    show: bool,
) -> None:
    if not stale:
        print(f"{out}/ is current ({total} files)")
        return
    for finding in stale:
        d = finding.details
        print(f"{d['kind']}: {finding.file} (+{d['added']} -{d['removed']})")
    if show:
        for finding in stale:
            relative = finding.file[len(out) + 1 :]
            old, new = _lines(disk.get(relative)), _lines(files.get(relative))
            if (
                finding.details["kind"] == "changed"
                and old is not None
                and new is not None
            ):
                sys.stdout.writelines(
                    line + "\n"
                    for line in difflib.unified_diff(
                        old, new, f"a/{finding.file}", f"b/{finding.file}", lineterm=""
                    )
                )
    print(
        f"{out}/ is stale: {len(stale)} files differ; run `specgen generate`",
        file=sys.stderr,
    )


def _print_warnings(report: Report) -> None:
    for warning in report.warnings:
        print(warning, file=sys.stderr)


# --- diff and lint ----------------------------------------------------------------------------


def _optional_config(path: Path) -> Config | None:
    """The config, or None when the default ./pyproject.toml does not exist (diff of two files)."""
    if path == DEFAULT_CONFIG and not path.exists():
        return None
    return config_module.load(path)


def _required(config: Config | None, what: str) -> Config:
    if config is None:
        raise fail(
            "pyproject.toml",
            None,
            f"{what} needs a pyproject.toml: run from the project root or pass --config",
        )
    return config


def _diff_settings(config: Config | None) -> findings.Settings:
    return findings.settings(
        config.diff if config else {},
        "diff",
        diff.RULES,
        ("breaking", "warning", "info"),
    )


def _diff(args: argparse.Namespace) -> int:
    config = _optional_config(args.config)
    settings = _diff_settings(config)
    sides = list(args.sides)
    if len(sides) > 2 or (args.base and len(sides) > 1):
        raise fail(
            "diff", None, "expected at most OLD and NEW (or --base REF and at most NEW)"
        )
    if args.base:
        old = diff.from_git(args.base, _required(config, "--base"))
    elif sides:
        old = diff.load_side(sides.pop(0), config)
    else:
        old = _committed(_required(config, "diff without arguments"))
    new = (
        diff.load_side(sides[0], config)
        if sides
        else diff.working_tree(_required(config, "diff of the working tree"))
    )
    found = settings.apply(
        diff.compare(old.registry, new.registry, old.locator, new.locator)
    )
    outcome = Outcome(
        "diff", found, args.fail_on, extra={"old": old.label, "new": new.label}
    )
    if args.suggest_version:
        changed = old.registry.get("endpoints") != new.registry.get("endpoints")
        advice = diff.suggestion(
            found, changed, diff.current_version(config) if config else "0.1.0"
        )
        outcome.extra["suggested_version"] = advice
        outcome.notes.append(
            f"suggested version: {advice['next']} ({advice['bump']}; current {advice['current']})"
        )
    _emit(outcome, args.formats)
    return outcome.exit_code


def _committed(config: Config) -> diff.Side:
    path = config.out_dir / "registry.json"
    if not path.is_file():
        return diff.Side(
            "(nothing generated yet)", dict(diff.EMPTY), findings.Locator(None)
        )
    return diff.Side(
        f"{config.out}/registry.json",
        json.loads(path.read_text(encoding="utf-8")),
        findings.Locator(config.root),
    )


def _lint(args: argparse.Namespace) -> int:
    config = _optional_config(args.config)
    settings = findings.settings(
        config.lint if config else {}, "lint", lint.RULES, ("error", "warning", "info")
    )
    side = (
        diff.load_side(args.source, config)
        if args.source
        else diff.working_tree(_required(config, "lint"))
    )
    outcome = Outcome(
        "lint",
        findings.ordered(settings.apply(lint.lint(side.registry, side.locator))),
        args.fail_on,
    )
    _emit(outcome, args.formats)
    return outcome.exit_code
