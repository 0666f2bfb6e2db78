"""`specgen mock`: the generated client's mock server (`<package>.testing`) from the command line.

The package is built in memory from the specs (the configured project, or `--input` files for a
one-off), written to a temporary folder, imported from there, and its `testing.main` serves until
Ctrl-C. The server's options are the runtime's own (`templates/client/runtime/testing.py`), handed
on as they were given, so `specgen mock` and `python -m <package>.testing` behave the same.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from pathlib import Path, PurePosixPath

# Kept in step with `options()` in templates/client/runtime/testing.py (tests/test_mock.py checks).
SERVER_OPTIONS = (
    "--host",
    "--port",
    "--cors",
    "--no-cors",
    "--cors-origin",
    "--delay",
    "--seed",
    "--api-key",
    "--polls",
)


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """The runtime's options, declared here as well: `specgen mock --help` lists them."""
    group = parser.add_argument_group("server (as `python -m <package>.testing`)")
    group.add_argument(
        "--host",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)",
    )
    group.add_argument(
        "--port",
        type=int,
        help="port to listen on (default: 4010; 0 for any free port)",
    )
    group.add_argument(
        "--cors",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="answer CORS preflight and send Access-Control-Allow-* headers (default: on, for localhost origins)",
    )
    group.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="an allowed browser origin, * as a wildcard (e.g. http://localhost:*); repeat for several",
    )
    group.add_argument(
        "--delay",
        type=float,
        metavar="SECONDS",
        help="wait this long before every answer",
    )
    group.add_argument(
        "--seed", type=int, help="the same generated request ids in every run"
    )
    group.add_argument("--api-key", help="accept only this key (default: any key)")
    group.add_argument(
        "--polls",
        type=int,
        metavar="N",
        help="queue requests stay IN_QUEUE, then IN_PROGRESS, for N status polls each",
    )


def server_argv(args: argparse.Namespace) -> list[str]:
    """The options given to `specgen mock`, as the runtime's command line."""
    argv: list[str] = []
    for option in ("host", "port", "delay", "seed", "api_key", "polls"):
        value = getattr(args, option)
        if value is not None:
            argv += [f"--{option.replace('_', '-')}", str(value)]
    if args.cors is not None:
        argv.append("--cors" if args.cors else "--no-cors")
    for origin in args.cors_origin or ():
        argv += ["--cors-origin", origin]
    return argv


def run(args: argparse.Namespace) -> int:
    from generator import config as config_module
    from generator import pipeline
    from generator.diagnostics import Report, SpecError

    report = Report()
    try:
        if args.inputs:
            config = config_module.from_arguments(Path.cwd(), args.inputs, None, None)
        else:
            config = config_module.load(args.config)
        _, files = pipeline.build(config, report)
    except SpecError as error:
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        return 2
    finally:
        for warning in report.warnings:
            print(warning, file=sys.stderr)
    package = config.package
    with tempfile.TemporaryDirectory(prefix="specgen-mock-") as folder:
        for relative, data in files.items():
            path = PurePosixPath(relative)
            if path.parts[0] != package:
                continue
            target = Path(folder).joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        sys.path.insert(0, folder)
        for name in [
            m for m in sys.modules if m == package or m.startswith(package + ".")
        ]:
            del sys.modules[
                name
            ]  # an installed package of the same name must not answer instead
        try:
            testing = importlib.import_module(f"{package}.testing")
            return int(testing.main(server_argv(args)))
        finally:
            sys.path.remove(folder)
