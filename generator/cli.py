"""Command line: `specgen generate | check | diff | lint` (also `python -m generator ...`).

generate and check keep their exit statuses (0; check 1 = stale; 2 = bad input, a refused output
folder or an I/O error). diff and lint use buf's: 0 clean, 1 the tool failed (bad input
included), 100 findings at or above --fail-on.

Imports are per command: `check` on a current folder reads the manifest and hashes files, and
never imports black, datamodel-code-generator or the readers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__
from generator import config as config_module
from generator.config import Config
from generator.diagnostics import Diagnostic, Report, SpecError, fail

if TYPE_CHECKING:
    from generator import diff, findings
    from generator.findings import Finding, Outcome
    from generator.registry_types import Registry

EXIT_OK, EXIT_STALE, EXIT_SPEC_ERROR = 0, 1, 2
EXIT_TOOL_FAILED = 1  # diff and lint (findings.EXIT_TOOL_FAILED)
DEFAULT_CONFIG = Path("pyproject.toml")
FORMATS = ("text", "json", "markdown", "junit", "github")  # findings.FORMATS
CHECK_RULES = {
    "generated-changed": "error",
    "generated-missing": "error",
    "generated-extra": "error",
}
COLORS = {"error": "\x1b[31m", "warning": "\x1b[33m"}


class Console:
    """-q / -v / --color for every command: what is printed, and whether it is coloured."""

    def __init__(self, verbosity: int = 0, color: str = "auto") -> None:
        self.verbosity = verbosity
        self.color = color == "always" or (
            color == "auto" and sys.stderr.isatty() and not os.environ.get("NO_COLOR")
        )

    def say(self, text: str) -> None:
        """The summary of a run (stdout); -q leaves it out."""
        if self.verbosity >= 0:
            print(text)

    def detail(self, text: str) -> None:
        """Only with -v (stderr)."""
        if self.verbosity > 0:
            print(text, file=sys.stderr)

    def diagnostic(self, item: Diagnostic | str) -> None:
        """Errors always; warnings and notes unless -q (stderr)."""
        level = item.level if isinstance(item, Diagnostic) else "note"
        if level != "error" and self.verbosity < 0:
            return
        text = str(item)
        if self.color and level in COLORS:
            marker = f"{level}:"
            text = text.replace(marker, f"{COLORS[level]}{marker}\x1b[0m", 1)
        print(text, file=sys.stderr)


CONSOLE = Console()


def main(argv: list[str] | None = None) -> int:
    global CONSOLE
    args = _parser().parse_args(argv)
    CONSOLE = Console(args.verbose - args.quiet, args.color)
    try:
        return int(args.run(args))
    except SpecError as error:
        for diagnostic in error.diagnostics:
            CONSOLE.diagnostic(diagnostic)
        if args.command in ("generate", "check"):
            CONSOLE.diagnostic("nothing was written")
            return EXIT_SPEC_ERROR
        return EXIT_TOOL_FAILED
    except KeyboardInterrupt:
        CONSOLE.diagnostic("interrupted; the output folder is as it was")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specgen",
        description=f"specgen {__version__}: Apifox exports -> typed client, docs and contract tests.",
        epilog="exit status: generate/check 0 ok, 1 stale (check), 2 bad input or refused output "
        "folder; diff/lint 0 clean, 1 tool failed, 100 findings at or above --fail-on",
    )
    parser.add_argument("--version", action="version", version=f"specgen {__version__}")
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
        talk = sub.add_mutually_exclusive_group()
        talk.add_argument(
            "-q", "--quiet", action="count", default=0, help="only errors"
        )
        talk.add_argument("-v", "--verbose", action="count", default=0, help="say more")
        sub.add_argument(
            "--color",
            choices=("auto", "always", "never"),
            default="auto",
            help="colour errors and warnings (default: auto, on a terminal without $NO_COLOR)",
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
            help=f"one of {', '.join(FORMATS)}; repeat for several; =PATH writes a file (default: text)",
        )

    generate = command(
        "generate",
        "read specs/, write the registry, client package, docs and contract tests (all or nothing)",
        _generate,
    )
    generate.add_argument(
        "--no-cache",
        action="store_true",
        help="regenerate and format everything, reusing neither the manifest nor the cache "
        "($SPECGEN_CACHE_DIR, else the user cache folder)",
    )
    generate.add_argument(
        "--force",
        action="store_true",
        help="replace an output folder that specgen did not write, or delete files a user added "
        "to it (never the project root, or a folder holding the config or an input)",
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
        help="always regenerate and compare (by default a folder whose manifest matches every "
        "input, setting and file is current without regenerating)",
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
    if kind not in FORMATS:
        raise argparse.ArgumentTypeError(
            f"unknown format {value!r}: expected one of {', '.join(FORMATS)}"
        )
    return kind, Path(path) if path else None


def _emit(outcome: Outcome, outputs: list[tuple[str, Path | None]] | None) -> None:
    from generator import findings

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
    from generator import manifest, writer

    config = _config(args)
    with writer.locked(config.out_dir):
        for note in writer.recover(config.out_dir):
            CONSOLE.diagnostic(note)
        writer.guard(config.out_dir, config.root, _protected(config, args), args.force)
        if not args.no_cache and not args.changelog:
            current, why = manifest.verdict(config, config.out_dir)
            CONSOLE.detail(f"manifest: {why}")
            recorded = manifest.read(config.out_dir) if current else None
            if recorded is not None:
                count = len(recorded["files"]) + 1  # and the manifest
                CONSOLE.say(f"{config.out}/: {count} files, 0 changed")
                return EXIT_OK
        registry, files = _build(config, args)
        entry = _changelog(config, args, registry) if args.changelog else None
        if entry is not None:
            config, (registry, files) = entry[0], _build(entry[0], args)
        problems = writer.stale(config.out_dir, files)
        if problems:
            changed = {path for path, _ in problems}
            writer.write_tree(config.out_dir, files, frozenset(set(files) - changed))
    CONSOLE.say(f"{config.out}/: {len(files)} files, {len(problems)} changed")
    if entry is not None:
        _, version, bump, found, previous = entry
        _write_changelog(config, version, bump, found, previous)
    return EXIT_OK


def _protected(config: Config, args: argparse.Namespace) -> list[Path]:
    """What the output folder must never hold: the config file and every input and overlay."""
    import contextlib

    paths = [config.root / "pyproject.toml", args.config]
    with contextlib.suppress(SpecError):  # reported with its location by the build
        paths += config.input_files() + config.overlay_files()
    return paths


def _build(
    config: Config, args: argparse.Namespace
) -> tuple[Registry, dict[str, bytes]]:
    """A full regeneration, warnings printed and the progress line shown on a terminal.
    `check` never reuses cached formatter output: what it reports is what black says now.
    """
    from generator import pipeline
    from generator.progress import Progress

    report = Report()
    progress = Progress.for_terminal(args.quiet > 0)
    use_cache = args.command == "generate" and not args.no_cache
    CONSOLE.detail(
        f"regenerating {config.out}/ "
        + (f"(cache: {pipeline.cache_root()})" if use_cache else "(no cache)")
    )
    try:
        return pipeline.build(config, report, use_cache=use_cache, progress=progress)
    finally:
        progress.done()
        for warning in report.warnings:
            CONSOLE.diagnostic(warning)


def _changelog(
    config: Config, args: argparse.Namespace, registry: Registry
) -> tuple[Config, str, str, list[Finding], Registry] | None:
    """When the API changed: the version the changelog entry and the package share. A bump is
    written into [tool.specgen] version, so the generated package carries the same version.
    """
    import dataclasses

    from generator import diff

    previous = _previous_registry(config)
    if previous.get("endpoints") == registry["endpoints"]:
        return None
    version = diff.current_version(config)
    found = _diff_settings(config).apply(diff.compare(previous, registry))
    advice = diff.suggestion(found, True, version)
    if not previous.get(
        "endpoints"
    ):  # the first generation: the current version, as it is
        advice = {"current": version, "bump": "initial", "next": config.version}
    if advice["next"] != config.version:
        if args.inputs:
            raise fail(
                "--changelog",
                None,
                f"the changes need version {advice['next']}: pass a pyproject.toml "
                "(--config) whose [tool.specgen] version it can raise",
            )
        config_module.set_version(args.config, advice["next"])
        CONSOLE.say(
            f"{args.config.name}: [tool.specgen] version = {advice['next']!r} (was {config.version})"
        )
    return (
        dataclasses.replace(config, version=advice["next"]),
        advice["next"],
        advice["bump"],
        found,
        previous,
    )


def _write_changelog(
    config: Config, version: str, bump: str, found: list[Finding], previous: Registry
) -> None:
    import datetime

    from generator import diff

    entry = diff.changelog_entry(config.package, version, found, datetime.date.today())
    diff.prepend_changelog(config.root / "CHANGELOG.md", entry)
    CONSOLE.say(
        f"CHANGELOG.md: added {config.package} {version} ({bump}, {len(found)} changes)"
    )


def _previous_registry(config: Config) -> Registry:
    import json

    from generator import diff

    path = config.out_dir / "registry.json"
    try:
        return (
            json.loads(path.read_text(encoding="utf-8"))
            if path.is_file()
            else diff.empty()
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        CONSOLE.diagnostic(
            f"{config.out}/registry.json is unreadable; the changelog lists every endpoint as added"
        )
        return diff.empty()


def _check(args: argparse.Namespace) -> int:
    from generator import manifest, writer
    from generator.findings import Outcome

    config = _config(args)
    for leftover in writer.interrupted(config.out_dir):
        CONSOLE.diagnostic(
            f"{leftover} was left by an interrupted generate; `specgen generate` puts it right"
        )
    if not args.no_cache:
        current, why = manifest.verdict(config, config.out_dir)
        CONSOLE.detail(f"manifest: {why}")
        recorded = manifest.read(config.out_dir) if current else None
        if recorded is not None:
            files = {p: b"" for p in [*recorded["files"], manifest.NAME]}
            return _report_check(args, config, Outcome("check", [], "error"), {}, files)
    _, files = _build(config, args)
    recorded = manifest.read(config.out_dir)
    if recorded is not None and isinstance(recorded.get("tools"), dict):
        installed = manifest.tool_versions()
        if recorded["tools"] != installed:
            CONSOLE.diagnostic(
                f"{config.out}/ was written by {manifest.version_note(recorded['tools'], installed)}: "
                "files may differ for that reason alone"
            )
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
    return _report_check(args, config, outcome, on_disk, files)


def _report_check(
    args: argparse.Namespace,
    config: Config,
    outcome: Outcome,
    on_disk: dict[str, bytes],
    files: dict[str, bytes],
) -> int:
    for kind, path in args.formats or [("text", None)]:
        if kind == "text" and path is None:
            _check_text(
                config.out, len(files), outcome.findings, on_disk, files, args.show_diff
            )
        else:
            _emit(outcome, [(kind, path)])
    return EXIT_STALE if outcome.findings else EXIT_OK


def _lines(data: bytes | None) -> list[str] | None:
    try:
        return data.decode("utf-8").splitlines() if data is not None else []
    except UnicodeDecodeError:
        return None


def _stale(
    out: str, path: str, kind: str, disk: bytes | None, wanted: bytes | None
) -> Finding:
    """A stale file as a finding, with +added/-removed line counts and the first line that differs."""
    import difflib

    from generator.findings import Finding

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
    import difflib

    if not stale:
        CONSOLE.say(f"{out}/ is current ({total} files)")
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
    CONSOLE.diagnostic(
        f"{out}/ is stale: {len(stale)} files differ; run `specgen generate`"
    )


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
    from generator import diff, findings

    return findings.settings(
        config.diff if config else {},
        "diff",
        diff.RULES,
        ("breaking", "warning", "info"),
    )


def _diff(args: argparse.Namespace) -> int:
    from generator import diff
    from generator.findings import Outcome

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
    import json

    from generator import diff, findings

    path = config.out_dir / "registry.json"
    if not path.is_file():
        return diff.Side(
            "(nothing generated yet)", diff.empty(), findings.Locator(None)
        )
    return diff.Side(
        f"{config.out}/registry.json",
        json.loads(path.read_text(encoding="utf-8")),
        findings.Locator(config.root),
    )


def _lint(args: argparse.Namespace) -> int:
    from generator import diff, findings, lint
    from generator.findings import Outcome

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
