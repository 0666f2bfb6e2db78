"""The generator's configuration, from `[tool.specgen]` in pyproject.toml."""

from __future__ import annotations

import glob
import keyword
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
from generator.limits import Limits


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
    # [tool.specgen.limits]: bounds on the work one run may do (generator/limits.py)
    limits: Limits = field(default_factory=Limits)
    # `$ref`s that leave their document: "none" (a located warning; the ref is dropped) or
    # "project" (files inside the project folder are read; never the network)
    external_refs: str = "none"
    # [[tool.specgen.pull]]: where `specgen pull` fetches the exports (checked by pull.sources)
    pull: list[Any] = field(default_factory=list, compare=False, hash=False)
    # Where the plain endpoints sit on the client: "auto" (resource namespaces from the Apifox
    # folders / OpenAPI tags, `client.user.login(...)`, unless the API is small or has one
    # folder), "folders" (always namespaces) or "flat" (every method on the client)
    namespaces: str = "auto"

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
        text = pyproject.read_text(encoding="utf-8")
        data = tomllib.loads(text)
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
        "limits",
        "external_refs",
        "pull",
        "namespaces",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise fail(
            name,
            None,
            f"unknown [tool.specgen] keys {unknown}: expected only {sorted(known)}",
        )
    _check_types(table, pyproject, text)
    package = str(table.get("package", Config.package))
    problem = package_problem(package)
    if problem:
        raise fail(
            name, _line(text, "package"), f"package {package!r} {problem}", "/package"
        )
    version = str(table.get("version", Config.version))
    if not VERSION.fullmatch(version):
        raise fail(
            name,
            _line(text, "version"),
            f"version {version!r} is not a package version: expected one like 1.2.0 (PEP 440)",
            "/version",
        )
    external_refs = str(table.get("external_refs", Config.external_refs))
    if external_refs not in ("none", "project"):
        raise fail(
            name,
            None,
            f'external_refs {external_refs!r}: expected "none" (the default) or "project"',
        )
    namespaces = str(table.get("namespaces", Config.namespaces))
    if namespaces not in NAMESPACE_MODES:
        raise fail(
            name,
            _line(text, "namespaces"),
            f"namespaces {namespaces!r}: expected one of "
            + ", ".join(f'"{mode}"' for mode in NAMESPACE_MODES),
            "/namespaces",
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
        limits=_limits(table.get("limits", {}), name),
        external_refs=external_refs,
        pull=table.get("pull", []),
        namespaces=namespaces,
    )


def _limits(table: Any, name: str) -> Limits:
    """[tool.specgen.limits]: each key a positive integer overriding a default of Limits."""
    if not isinstance(table, dict):
        raise fail(name, None, "[tool.specgen.limits] must be a table")
    unknown = sorted(set(table) - set(Limits.keys()))
    if unknown:
        raise fail(
            name,
            None,
            f"unknown [tool.specgen.limits] keys {unknown}: expected only {Limits.keys()}",
        )
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise fail(
                name,
                None,
                f"[tool.specgen.limits] {key} = {value!r}: expected a positive integer",
            )
    return Limits(**table)


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
    problem = package_problem(name)
    if problem:
        raise fail("--package", None, f"{name!r} {problem}")
    if out is not None and not out.strip():
        raise fail("--out", None, "the output folder must not be empty")
    return Config(root=root, inputs=tuple(inputs), out=out or Config.out, package=name)


# What a value of each key must be. Keys not listed here are checked where they are used.
STRINGS = (
    "out",
    "package",
    "base_url",
    "base_url_env",
    "auth_env",
    "auth_scheme",
    "version",
    "namespaces",
)
NAMESPACE_MODES = ("auto", "folders", "flat")
STRING_LISTS = ("inputs", "strip_name_prefixes", "overlays")
TABLES = ("lint", "diff")
NON_EMPTY = ("inputs", "out", "package")
EXAMPLES = {"inputs": '["specs/*.json"]', "overlays": '["specs/overlays/*.yaml"]'}
VERSION = re.compile(
    r"([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?"
    r"(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?(\+[a-z0-9]+(\.[a-z0-9]+)*)?"
)
# Import names a generated package must not take: it would shadow what its own code imports
# (or the folders beside it in the output, or specgen itself).
DEPENDENCIES = frozenset(
    {
        "httpx",
        "httpcore",
        "h11",
        "anyio",
        "sniffio",
        "certifi",
        "idna",
        "pydantic",
        "pydantic_core",
        "annotated_types",
        "typing_extensions",
        "typing_inspection",
        "jsonschema",
        "jsonschema_specifications",
        "referencing",
        "rpds",
        "attrs",
        "pytest",
        "_pytest",
        "pluggy",
        "iniconfig",
        "packaging",
        "generator",
        "tests",
        "docs",
    }
)


def package_problem(package: str) -> str | None:
    """Why `package` cannot name the generated package, or None."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", package) or not package.isidentifier():
        return "is not a valid Python package name: expected lowercase letters, digits and _"
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return "is a Python keyword: `import` cannot name it; choose another name"
    if package in sys.stdlib_module_names:
        return "is a standard library module: the package would shadow it; choose another name"
    if package in DEPENDENCIES:
        return "is a module the generated code or its tests import: the package would shadow it; choose another name"
    return None


def _line(text: str, key: str) -> int | None:
    """The line of `key = ...` in the [tool.specgen] table (TOML parsers do not say)."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.replace(" ", "").startswith("[tool.specgen")
        elif inside and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _check_types(table: dict[str, Any], pyproject: Path, text: str) -> None:
    """Each value of the type its key needs, with a message naming the key (a string where a
    list belongs would otherwise be read letter by letter)."""
    for key, value in table.items():
        expected = None
        if key in STRINGS and not isinstance(value, str):
            expected = "a string"
        elif key in STRING_LISTS and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            example = EXAMPLES.get(key, '["/prefix/"]')
            expected = f"a list of strings, e.g. {key} = {example}"
        elif key in TABLES and not isinstance(value, dict):
            expected = "a table"
        elif key in NON_EMPTY and not (
            value.strip() if isinstance(value, str) else value
        ):
            expected = (
                'at least one export to read, e.g. inputs = ["specs/*.json"]'
                if key == "inputs"
                else "a non-empty string"
            )
        if expected:
            raise fail(
                pyproject.name,
                _line(text, key),
                f"[tool.specgen] {key} = {_toml(value)}: expected {expected}",
                f"/{key}",
            )


def _toml(value: Any) -> str:
    """A short rendering of a config value for a message."""
    shown = repr(value) if not isinstance(value, bool) else str(value).lower()
    return shown if len(shown) <= 60 else shown[:57] + "..."


def set_version(pyproject: Path, version: str) -> None:
    """Write `version` into [tool.specgen] of `pyproject`, changing only that line (or adding it
    after the table's header): `generate --changelog` and the package then agree."""
    text = pyproject.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    number = _line(text, "version")
    entry = f'version = "{version}"\n'
    if number is not None:
        old = lines[number - 1]
        lines[number - 1] = old[: len(old) - len(old.lstrip())] + entry
    else:
        header = next(
            i
            for i, line in enumerate(lines)
            if line.strip().replace(" ", "") == "[tool.specgen]"
        )
        lines.insert(header + 1, entry)
    pyproject.write_text("".join(lines), encoding="utf-8")
