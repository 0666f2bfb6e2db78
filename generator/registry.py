"""The registry: one deterministic JSON document that every emitter reads, checked by its schema.

Config -> `Registry` (generator/registry_types.py, generated from registry.schema.json): reads
the inputs, normalizes, applies the overlays, validates.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import jsonschema

from generator import escape, normalize, overlay, readers, runcache, security
from generator.config import Config
from generator.diagnostics import Diagnostic, Report, SpecError
from generator.readers import external, guard
from generator.registry_types import Endpoint, Group, NamedServer, Registry
from generator.runcache import NO_CACHE, RunCache

VERSION: Final = 1
DEFAULT_BASE_URL = "http://localhost"


def build(
    config: Config,
    report: Report,
    cache: RunCache = NO_CACHE,
    before_validation: Callable[[Registry], None] | None = None,
) -> Registry:
    """Read every input, normalize, and return the validated registry. `cache` remembers
    the endpoints that passed the schema in the last run (see `validate`);
    `before_validation` is handed the finished registry before its schema check, to start
    slow work early (it must not act on the registry until `build` returns)."""
    with guard.using(config.limits), external.using(config.root, config.external_refs):
        return _build(config, report, cache, before_validation)


def _build(
    config: Config,
    report: Report,
    cache: RunCache,
    before_validation: Callable[[Registry], None] | None,
) -> Registry:
    documents = [
        readers.read_file(path, _display_name(path, config.root), report)
        for path in config.input_files()
    ]
    security_schemes = security.resolve(documents, config)
    endpoints, schemas = normalize.build(documents, config, report)
    servers: list[NamedServer] = [
        {"name": server["name"], "url": server["url"]}  # every reader gives both
        for document in documents
        for server in document.servers
    ]
    default_url = config.base_url or pick_server(servers, config.environment)
    for endpoint in endpoints:
        own = pick_server(
            [s for url in endpoint["servers"] for s in _named(url, servers)],
            config.environment,
        )
        endpoint["base_url"] = own if own and not config.base_url else ""
    registry: Registry = {
        "registry_version": VERSION,
        "package": config.package,
        "package_version": config.version,
        "base_url": default_url or DEFAULT_BASE_URL,
        "servers": servers,
        "base_url_env": config.base_url_env or f"{config.package.upper()}_BASE_URL",
        "auth_env": security.auth_env(config),
        "auth_scheme": config.auth_scheme,
        "security_schemes": security_schemes,
        "groups": groups(documents),
        "endpoints": endpoints,
        "schemas": schemas,
        "warnings": [],
    }
    for path in config.overlay_files():
        name = _display_name(path, config.root)
        overlay.apply(registry, overlay.load(path, name), name)
    normalize.finalize(endpoints)
    registry["warnings"] = [
        {"file": w.file, "line": w.line, "message": w.message, "pointer": w.pointer}
        for w in report.warnings
    ]
    check_values(registry)
    if before_validation is not None:
        before_validation(registry)
    validate(registry, cache)
    return registry


def groups(documents: list[readers.SourceDocument]) -> list[Group]:
    """What the inputs say about their folders and tags (the first word on a path wins)."""
    found: dict[tuple[str, ...], str] = {}
    for document in documents:
        for path, description in document.groups:
            found.setdefault(tuple(path), description)
    return [Group(path=list(path), description=text) for path, text in found.items()]


def check_values(registry: Registry) -> None:
    """The guard's value checks on the whole registry, whatever reader or overlay produced
    it: an error names the endpoint's source file and line."""
    try:
        guard.check_data(registry)
    except guard.UnsafeData as exc:
        parts = exc.pointer.split("/")
        file, line, pointer = "registry.json", None, exc.pointer
        if len(parts) > 2 and parts[1] == "endpoints" and parts[2].isdigit():
            source = registry["endpoints"][int(parts[2])]["source"]
            file, line = source["file"], source["line"]
            pointer = source.get("pointer", "") + "/" + "/".join(parts[3:])
        raise SpecError(
            [Diagnostic("error", file, line, exc.message, pointer)]
        ) from None


PRODUCTION = re.compile(r"正式|生产|线上|\bprod(uction)?\b|\blive\b", re.IGNORECASE)


def pick_server(servers: list[NamedServer], wanted: str | None) -> str:
    """The default base URL among named servers: the configured `environment` (by name or
    URL), else the production one (正式/生产/prod/production), else the first; "" if none is
    an absolute http(s) URL."""
    usable = [
        s for s in servers if s.get("url", "").startswith(("http://", "https://"))
    ]
    if wanted is not None:
        chosen = [s for s in usable if wanted in (s.get("name"), s.get("url"))]
        chosen += [s for s in usable if wanted in s.get("name", "")]
    else:
        chosen = [s for s in usable if PRODUCTION.search(s.get("name", ""))]
    found = (chosen or usable)[:1]
    return found[0]["url"].rstrip("/") if found else ""


def _named(url: str, servers: list[NamedServer]) -> list[NamedServer]:
    """The named servers with this URL (an endpoint lists URLs only)."""
    named = [s for s in servers if s.get("url") == url]
    return named or [{"name": url, "url": url}]


def _display_name(path: Path, root: Path) -> str:
    """Relative, slash-separated: outputs never carry an absolute path."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        resources.files("generator")
        .joinpath("registry.schema.json")
        .read_text(encoding="utf-8")
    )
    return loaded


def validate(registry: Registry, cache: RunCache = NO_CACHE) -> None:
    """Raises SpecError listing where `registry` breaks registry.schema.json. An endpoint
    that passed in the last run (same schema, same entry) is not checked again: the schema
    gives each endpoint alone (`items`), so the verdict is the same."""
    validator = jsonschema.Draft202012Validator(schema())
    endpoints = registry["endpoints"]
    keys = [_endpoint_key(e) for e in endpoints] if cache.enabled else []
    unseen = [
        i for i in range(len(endpoints)) if not keys or not cache.get("valid", keys[i])
    ]
    errors = sorted(
        validator.iter_errors(
            {**registry, "endpoints": [endpoints[i] for i in unseen]}
        ),
        key=lambda e: list(e.absolute_path),
    )
    for error in errors:  # positions in the subset -> positions in the registry
        if len(error.path) > 1 and error.path[0] == "endpoints":
            error.path[1] = unseen[int(error.path[1])]
    if keys and not errors:
        for i in unseen:
            cache.put("valid", keys[i], True)
    if errors:
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    "registry.json",
                    None,
                    f"registry does not match its schema: {e.message}",
                    _pointer(e.absolute_path),
                )
                for e in errors[:20]
            ]
        )


def _endpoint_key(endpoint: Endpoint) -> str:
    return runcache.key(_schema_digest(), json.dumps(endpoint, sort_keys=True))


@cache
def _schema_digest() -> str:
    return hashlib.sha256(json.dumps(schema(), sort_keys=True).encode()).hexdigest()


def _pointer(path: Any) -> str:
    return "".join(f"/{part}" for part in path)


def dumps(registry: Registry) -> str:
    return escape.json_text(registry) + "\n"
