"""The generator's configuration, from `[tool.specgen]` in pyproject.toml."""

from __future__ import annotations

import glob
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from generator.diagnostics import fail


@dataclass(frozen=True)
class Config:
    root: Path  # paths below are relative to it
    inputs: tuple[str, ...] = ("specs/*",)
    out: str = "generated"
    package: str = "api_client"
    base_url: str | None = (
        None  # default: each input's production server or environment
    )
    base_url_env: str | None = None  # default: <PACKAGE>_BASE_URL
    auth_env: str | None = None  # default: <PACKAGE>_API_KEY
    # When set, endpoints whose spec declares no security send `Authorization: <scheme> <key>`
    # (fal's doc pages say `Key`); unset, they send no credentials.
    auth_scheme: str | None = None
    # Security scheme (by its name in the spec) -> the environment variable holding its credential.
    security_env: dict[str, str] = field(
        default_factory=dict, compare=False, hash=False
    )
    # Which server or Apifox environment is the default base URL (by name or URL), when the
    # specs name several: default the production one (正式/生产/prod/production), else the first.
    environment: str | None = None
    version: str = (
        "0.1.0"  # the generated package's version (`specgen diff --suggest-version` says the next)
    )
    strip_name_prefixes: tuple[str, ...] = field(default_factory=tuple)
    overlays: tuple[str, ...] = field(default_factory=tuple)
    # [tool.specgen.lint] and [tool.specgen.diff]: ignore, severity, ignore_endpoints (checked by findings.settings)
    lint: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    diff: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def out_dir(self) -> Path:
        return self.root / self.out

    def input_files(self) -> list[Path]:
        return self._expand(self.inputs, "inputs")

    def overlay_files(self) -> list[Path]:
        return self._expand(self.overlays, "overlays")

    def _expand(self, patterns: tuple[str, ...], key: str) -> list[Path]:
        files: set[Path] = set()
        for pattern in patterns:
            # root / pattern is the pattern itself when it is absolute (a --input on the command line)
            target = str(self.root / pattern)
            matched = (
                [Path(p) for p in glob.glob(target, recursive=True)]
                if glob.has_magic(pattern)
                else [Path(target)]
            )
            if not matched:
                raise fail(pattern, None, f"no file matches this pattern in {key}")
            if not glob.has_magic(pattern) and not matched[0].is_file():
                raise fail(pattern, None, f"no such file (from {key})")
            files.update(path for path in matched if path.is_file())
        return sorted(files)


def load(pyproject: Path) -> Config:
    name = pyproject.name
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail(
            str(pyproject),
            None,
            "no pyproject.toml here: run from the project root or pass --config",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise fail(name, None, f"invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("specgen")
    if not isinstance(table, dict):
        raise fail(
            name,
            None,
            "no [tool.specgen] table: expected the generator's settings there",
        )
    known = {
        "inputs",
        "out",
        "package",
        "base_url",
        "base_url_env",
        "auth_env",
        "auth_scheme",
        "security_env",
        "environment",
        "version",
        "strip_name_prefixes",
        "overlays",
        "lint",
        "diff",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise fail(
            name,
            None,
            f"unknown [tool.specgen] keys {unknown}: expected only {sorted(known)}",
        )
    package = str(table.get("package", Config.package))
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", package):
        raise fail(
            name,
            None,
            f"package {package!r} is not a valid Python package name (lowercase, digits, _)",
        )
    return Config(
        root=pyproject.parent,
        inputs=tuple(table.get("inputs", Config.inputs)),
        out=str(table.get("out", Config.out)),
        package=package,
        base_url=str(table["base_url"]) if "base_url" in table else None,
        base_url_env=_env_name(table, "base_url_env", name),
        auth_env=_env_name(table, "auth_env", name),
        auth_scheme=str(table["auth_scheme"]) if "auth_scheme" in table else None,
        security_env=_security_env(table.get("security_env", {}), name),
        environment=str(table["environment"]) if "environment" in table else None,
        version=str(table.get("version", Config.version)),
        strip_name_prefixes=tuple(table.get("strip_name_prefixes", ())),
        overlays=tuple(table.get("overlays", ())),
        lint=table.get("lint", {}),
        diff=table.get("diff", {}),
    )


ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _env_name(table: dict[str, Any], key: str, file: str) -> str | None:
    if key not in table:
        return None
    value = str(table[key])
    if not ENV_NAME.fullmatch(value):
        raise fail(
            file,
            None,
            f"{key} {value!r} is not an environment variable name (A-Z, 0-9, _)",
        )
    return value


def _security_env(table: Any, file: str) -> dict[str, str]:
    if not isinstance(table, dict):
        raise fail(file, None, 'security_env must be a table: scheme name = "ENV_VAR"')
    result = {}
    for scheme, env in table.items():
        if not ENV_NAME.fullmatch(str(env)):
            raise fail(
                file,
                None,
                f"security_env {scheme!r}: {env!r} is not an environment variable name (A-Z, 0-9, _)",
            )
        result[str(scheme)] = str(env)
    return result


def from_arguments(
    root: Path, inputs: list[str], out: str | None, package: str | None
) -> Config:
    """A configuration from the command line alone: `generate --input PATH --out DIR --package NAME`."""
    name = package or Config.package
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise fail(
            "--package",
            None,
            f"{name!r} is not a valid Python package name (lowercase, digits, _)",
        )
    return Config(root=root, inputs=tuple(inputs), out=out or Config.out, package=name)
