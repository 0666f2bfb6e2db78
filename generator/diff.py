"""`specgen diff`: what changed between two registries, each change with a stable rule id and a level.

Two `Registry`s -> `list[Finding]`. A registry read from disk may be an older one: both sides
are read with `.get`, so a key it lacks compares as absent.

Endpoints are matched by id ("METHOD /path"); fields by their path inside the schema
(`loras[].path`), parameters by location and name (`query:seed`). The levels follow the contract
a client relies on (as oasdiff does): what a caller sends may only get looser, what it receives
may only get stricter. Either side of a diff can be a registry.json, a pyproject.toml, a folder
of specs or a git ref (built in a temporary folder, nothing is checked out).
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal, cast

from generator import config as config_module
from generator import registry as registry_module
from generator.config import Config
from generator.config import load as load_config
from generator.diagnostics import Diagnostic, Report, SpecError, fail
from generator.findings import Finding, Locator, ordered, view
from generator.registry_types import Endpoint, Parameter, Registry, Schema

# What a caller sends (request body fields and parameters): tightening breaks callers.
REQUEST_KINDS = {
    "field-added": "info",
    "field-added-required": "breaking",
    "field-removed": "breaking",
    "field-became-required": "breaking",
    "field-became-optional": "info",
    "type-changed": "breaking",
    "type-widened": "info",
    "format-changed": "warning",
    "enum-value-removed": "breaking",
    "enum-value-added": "info",
    "enum-added": "breaking",
    "enum-removed": "info",
    "range-narrowed": "breaking",
    "range-widened": "info",
    "default-changed": "warning",
    "pattern-changed": "warning",
    "file-types-narrowed": "breaking",
    "file-types-widened": "info",
}
# What a caller receives (response bodies): loosening breaks callers.
RESPONSE_KINDS = {
    "field-added": "info",
    "field-removed": "breaking",
    "field-became-optional": "warning",
    "field-became-required": "info",
    "type-changed": "breaking",
    "type-narrowed": "info",
    "format-changed": "warning",
    "enum-value-added": "warning",
    "enum-value-removed": "info",
    "enum-added": "info",
    "enum-removed": "warning",
    "range-widened": "warning",
    "range-narrowed": "info",
}


def _rule(side: str, kind: str) -> str:
    return f"{side}-{kind}".replace("parameter-field-", "parameter-")


RULES: dict[str, str] = {
    "endpoint-added": "info",
    "endpoint-removed": "breaking",
    "endpoint-method-changed": "breaking",
    "endpoint-path-changed": "breaking",
    "endpoint-renamed": "breaking",
    "endpoint-deprecated": "warning",
    "endpoint-queue-added": "info",
    "endpoint-queue-removed": "breaking",
    "request-body-added": "info",
    "request-body-removed": "breaking",
    "request-content-type-changed": "breaking",
    **{_rule("request", kind): level for kind, level in REQUEST_KINDS.items()},
    **{
        _rule("parameter", kind): level
        for kind, level in REQUEST_KINDS.items()
        if not kind.startswith("file-types")
    },
    "response-status-added": "info",
    "response-status-removed": "breaking",  # warning when the status is not 2xx
    "response-content-type-changed": "breaking",
    "output-schema-added": "info",
    "output-schema-removed": "breaking",
    **{_rule("response", kind): level for kind, level in RESPONSE_KINDS.items()},
}
# Info-level changes that give callers something new: they make the next version a minor one.
ADDITIONS = {
    rule
    for rule, level in RULES.items()
    if level == "info" and not rule.startswith("response-")
} | {
    "response-status-added",
    "response-field-added",
}
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
EMPTY: dict[str, Any] = {"endpoints": [], "warnings": []}


def empty() -> Registry:
    """The registry of nothing (no endpoints): a side when nothing was generated yet. Either
    side is read with `.get`, so this one, like an older registry's, may lack keys."""
    return cast(Registry, dict(EMPTY))


@dataclass(frozen=True)
class _At:
    """Where in an endpoint a schema comparison is: which side, which field, which pointer."""

    side: str  # "request" | "parameter" | "response"
    label: str  # "request", "query parameter", "response 200", "result"
    endpoint: Endpoint  # the endpoint findings are located in (the new one)
    field: str = ""
    pointer: str = ""

    def child(self, field: str, pointer: str) -> _At:
        return dataclasses.replace(self, field=field, pointer=pointer)

    def subject(self) -> str:
        if self.side == "parameter":
            return f"{self.label} {self.field.split(':', 1)[-1]!r}"
        return (
            f"{self.label} field {self.field!r}" if self.field else f"{self.label} body"
        )


def _show(value: Any) -> str:
    return "none" if value is None else json.dumps(value, ensure_ascii=False)


def _changed(what: str, old: Any, new: Any) -> str:
    return f"{what} changed from {_show(old)} to {_show(new)}"


class _Differ:
    def __init__(self, old_locator: Locator, new_locator: Locator) -> None:
        self.old_locator, self.new_locator = old_locator, new_locator
        self.old_defs: dict[str, Schema] = {}
        self.new_defs: dict[str, Schema] = {}
        self.findings: list[Finding] = []

    def emit(
        self,
        rule: str,
        endpoint: Endpoint,
        message: str,
        old: Any = None,
        new: Any = None,
        **at: Any,
    ) -> None:
        """One finding; `at` may give field, section, pointer, level, and locator (default: the new side's)."""
        field, section = at.get("field", ""), at.get("section", "")
        file, line = at.get("locator", self.new_locator).endpoint(
            endpoint, section, field
        )
        level = at.get("level") or RULES[rule]
        self.findings.append(
            Finding(
                rule,
                level,
                message,
                endpoint.get("id", ""),
                field,
                old,
                new,
                file,
                line,
                at.get("pointer", ""),
            )
        )

    def at(
        self, at: _At, kind: str, message: str, old: Any = None, new: Any = None
    ) -> None:
        """`message` may place the subject itself ("{subject} removed"); otherwise it follows "subject: "."""
        subject = at.subject()
        text = (
            message.replace("{subject}", subject)
            if "{subject}" in message
            else f"{subject}: {message}"
        )
        rule = _rule(at.side, kind)
        self.emit(
            rule,
            at.endpoint,
            text,
            old,
            new,
            field=at.field,
            section=at.side,
            pointer=at.pointer,
        )

    # --- endpoints ---

    def registries(self, old: Registry, new: Registry) -> None:
        self.old_defs, self.new_defs = (
            old.get("schemas") or {},
            new.get("schemas") or {},
        )
        old_eps = {e["id"]: e for e in old.get("endpoints", [])}
        new_eps = {e["id"]: e for e in new.get("endpoints", [])}
        removed = [e for i, e in old_eps.items() if i not in new_eps]
        added = [e for i, e in new_eps.items() if i not in old_eps]
        for o, n in _moves(removed, added):
            removed.remove(o)
            added.remove(n)
            what: Literal["method", "path"] = (
                "method" if o["method"] != n["method"] else "path"
            )
            self.emit(
                f"endpoint-{what}-changed",
                n,
                f"{_changed(what, o[what], n[what])} (was {o['id']})",
                o[what],
                n[what],
            )
            self.endpoint(o, n)
        for o in removed:
            self.emit(
                "endpoint-removed",
                o,
                "endpoint removed",
                o["id"],
                locator=self.old_locator,
            )
        for n in added:
            self.emit("endpoint-added", n, "endpoint added", None, n["id"])
        for key in old_eps.keys() & new_eps.keys():
            self.endpoint(old_eps[key], new_eps[key])

    def endpoint(self, o: Endpoint, n: Endpoint) -> None:
        old_name, new_name = call_path(o), call_path(n)
        if old_name != new_name:
            # a move to another namespace is a rename too: the old call stops working
            message = (
                f"client method renamed from client.{old_name} to client.{new_name}"
            )
            self.emit("endpoint-renamed", n, message, old_name, new_name)
        if n.get("deprecated") and not o.get("deprecated"):
            self.emit("endpoint-deprecated", n, "the endpoint is now deprecated")
        if o.get("queue") and not n.get("queue"):
            self.emit(
                "endpoint-queue-removed",
                n,
                "no longer a queue endpoint: submit/status/result/cancel go away",
                o["queue"],
            )
        elif n.get("queue") and not o.get("queue"):
            self.emit(
                "endpoint-queue-added",
                n,
                "now a queue endpoint (submit/status/result/cancel)",
                None,
                n["queue"],
            )
        self.parameters(o, n)
        self.request(o, n)
        self.responses(o, n)
        self.output(o, n)

    def parameters(self, o: Endpoint, n: Endpoint) -> None:
        def key(p: Parameter) -> tuple[str, str]:
            return p["in"], p["name"].lower() if p["in"] == "header" else p["name"]

        old = {key(p): (i, p) for i, p in enumerate(o.get("parameters") or [])}
        new = {key(p): (i, p) for i, p in enumerate(n.get("parameters") or [])}
        for k in [*new, *(k for k in old if k not in new)]:
            index, param = new.get(k) or old[k]
            at = _At(
                "parameter",
                f"{param['in']} parameter",
                n,
                f"{param['in']}:{param['name']}",
                f"/parameters/{param['in']}/{index}",
            )
            if k not in new:
                self.at(
                    at, "field-removed", "{subject} removed", old=param.get("schema")
                )
            elif k not in old:
                required = bool(param.get("required"))
                kind, text = (
                    ("field-added-required", "added as required")
                    if required
                    else ("field-added", "added (optional)")
                )
                self.at(at, kind, "{subject} " + text, new=param.get("schema"))
            else:
                before = old[k][1]
                self.required(
                    at, bool(before.get("required")), bool(param.get("required"))
                )
                self.schema(
                    at.child(at.field, at.pointer + "/schema"),
                    before.get("schema") or {},
                    param.get("schema") or {},
                )

    def request(self, o: Endpoint, n: Endpoint) -> None:
        old, new = o.get("request"), n.get("request")
        if new is None:
            if old is not None:
                self.emit(
                    "request-body-removed",
                    n,
                    "request body removed",
                    old.get("content_type"),
                )
            return
        if old is None:
            self.emit(
                "request-body-added",
                n,
                "request body added",
                None,
                new.get("content_type"),
                section="request",
            )
        after = new.get("content_type")
        before = after if old is None else old.get("content_type")
        if before != after:
            self.emit(
                "request-content-type-changed",
                n,
                _changed("request content type", before, after),
                before,
                after,
                section="request",
            )
        at = _At("request", "request", n, "", "/requestBody/jsonSchema")
        was = (
            {"type": "object", "properties": {}}
            if old is None
            else old.get("schema") or {}
        )
        self.schema(at, was, new.get("schema") or {})

    def responses(self, o: Endpoint, n: Endpoint) -> None:
        old = {r["code"]: (i, r) for i, r in enumerate(o.get("responses") or [])}
        new = {r["code"]: (i, r) for i, r in enumerate(n.get("responses") or [])}
        for code in sorted(old.keys() | new.keys()):
            if code not in new:
                level = "breaking" if 200 <= code < 300 else "warning"
                self.emit(
                    "response-status-removed",
                    n,
                    f"response {code} removed",
                    code,
                    level=level,
                    section="response",
                )
            elif code not in old:
                self.emit(
                    "response-status-added",
                    n,
                    f"response {code} added",
                    None,
                    code,
                    section="response",
                )
            else:
                (_, was), (index, now) = old[code], new[code]
                before, after = was.get("content_type"), now.get("content_type")
                if before != after:
                    message = _changed(f"response {code} content type", before, after)
                    self.emit(
                        "response-content-type-changed",
                        n,
                        message,
                        before,
                        after,
                        section="response",
                    )
                at = _At(
                    "response",
                    f"response {code}",
                    n,
                    "",
                    f"/responses/{index}/jsonSchema",
                )
                self.schema(at, was.get("schema") or {}, now.get("schema") or {})

    def output(self, o: Endpoint, n: Endpoint) -> None:
        """The queue result (`output_schema`, from an overlay): a response like any other."""
        old, new = o.get("output_schema"), n.get("output_schema")
        if old is not None and new is None:
            self.emit(
                "output-schema-removed",
                n,
                "the result is no longer typed (output_schema removed)",
            )
        elif old is None and new is not None:
            self.emit(
                "output-schema-added",
                n,
                "the result is now typed (output_schema added)",
            )
        elif old is not None:
            self.schema(_At("response", "result", n, "", "/output_schema"), old, new)

    # --- schemas ---

    def required(self, at: _At, was: bool, now: bool) -> None:
        if was != now:
            kind = "field-became-required" if now else "field-became-optional"
            word = {True: "required", False: "optional"}
            self.at(at, kind, f"{{subject}} is now {word[now]}", word[was], word[now])

    def schema(
        self,
        at: _At,
        old: Any,
        new: Any,
        seen: frozenset[tuple[Any, Any]] = frozenset(),
    ) -> None:
        """Compare two schemas and everything inside them; shared models are followed, once per path."""
        (old, old_ref), (new, new_ref) = view(old, self.old_defs), view(
            new, self.new_defs
        )
        if (
            not isinstance(old, dict)
            or not isinstance(new, dict)
            or (old_ref, new_ref) in seen
        ):
            return
        if old_ref or new_ref:
            seen = seen | {(old_ref, new_ref)}
        self.keywords(at, old, new)
        old_props, new_props = _properties(old), _properties(new)
        old_required, new_required = set(old.get("required") or []), set(
            new.get("required") or []
        )
        for name in [
            *new_props,
            *(name for name in old_props if name not in new_props),
        ]:
            field = f"{at.field}.{name}" if at.field else name
            sub = at.child(
                field,
                f"{at.pointer}/properties/{name.replace('~', '~0').replace('/', '~1')}",
            )
            if name not in new_props:
                self.at(
                    sub,
                    "field-removed",
                    "{subject} removed",
                    old=_summary(view(old_props[name], self.old_defs)[0]),
                )
            elif name not in old_props:
                required = name in new_required and at.side != "response"
                kind, text = (
                    ("field-added-required", " added as required")
                    if required
                    else ("field-added", " added")
                )
                self.at(
                    sub,
                    kind,
                    "{subject}" + text,
                    new=_summary(view(new_props[name], self.new_defs)[0]),
                )
            else:
                self.required(sub, name in old_required, name in new_required)
                self.schema(sub, old_props[name], new_props[name], seen)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.schema(
                at.child(f"{at.field}[]", f"{at.pointer}/items"),
                old["items"],
                new["items"],
                seen,
            )

    def keywords(self, at: _At, old: dict[str, Any], new: dict[str, Any]) -> None:
        receiving = at.side == "response"
        old_types, new_types = _types(old), _types(new)
        if old_types != new_types:
            looser = (
                _accepts(old_types, new_types)
                if receiving
                else _accepts(new_types, old_types)
            )
            kind = (
                ("type-narrowed" if receiving else "type-widened")
                if looser
                else "type-changed"
            )
            shown = _show_types(old_types), _show_types(new_types)
            self.at(at, kind, f"type changed from {shown[0]} to {shown[1]}", *shown)
        self.compare(at, "format-changed", "format", old, new)
        self.enum(at, old.get("enum"), new.get("enum"))
        for keyword in LOWER_BOUNDS + UPPER_BOUNDS:
            before, after = old.get(keyword), new.get(keyword)
            if before == after:
                continue
            if before is None or after is None:
                narrowed = before is None
            else:
                narrowed = after > before if keyword in LOWER_BOUNDS else after < before
            self.at(
                at,
                "range-narrowed" if narrowed else "range-widened",
                _changed(keyword, before, after),
                before,
                after,
            )
        if receiving:
            return
        self.compare(at, "default-changed", "default", old, new)
        self.compare(at, "pattern-changed", "pattern", old, new)
        if at.side == "request":
            self.file_types(at, old.get("x-file-types"), new.get("x-file-types"))

    def compare(
        self, at: _At, kind: str, keyword: str, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        before, after = old.get(keyword), new.get(keyword)
        if before != after or (keyword in old) != (keyword in new):
            self.at(at, kind, _changed(keyword, before, after), before, after)

    def enum(self, at: _At, old: Any, new: Any) -> None:
        if old is None and new is None:
            return
        if old is None:
            self.at(at, "enum-added", f"now limited to {_show(new)}", old, new)
        elif new is None:
            self.at(at, "enum-removed", f"no longer limited to {_show(old)}", old, new)
        else:
            old_keys, new_keys = [_key(v) for v in old], [_key(v) for v in new]
            for value in (
                v for v, k in zip(old, old_keys, strict=False) if k not in new_keys
            ):
                self.at(
                    at,
                    "enum-value-removed",
                    f"enum value {_show(value)} removed",
                    old=value,
                )
            for value in (
                v for v, k in zip(new, new_keys, strict=False) if k not in old_keys
            ):
                self.at(
                    at,
                    "enum-value-added",
                    f"enum value {_show(value)} added",
                    new=value,
                )

    def file_types(self, at: _At, old: Any, new: Any) -> None:
        """`x-file-types`: None accepts any file type."""
        if old == new or (old is not None and new is not None and set(old) == set(new)):
            return
        lost = "any other" if old is None else sorted(set(old) - set(new or old))
        if new is not None and lost:
            self.at(
                at,
                "file-types-narrowed",
                f"file types no longer accepted: {_show(lost)}",
                old,
                new,
            )
        else:
            self.at(
                at,
                "file-types-widened",
                f"file types accepted now: {_show(new or 'any')}",
                old,
                new,
            )


def _moves(
    removed: list[Endpoint], added: list[Endpoint]
) -> list[tuple[Endpoint, Endpoint]]:
    """An endpoint whose method changed (same path) or whose path changed (same method and source page,
    or the same Apifox id / operationId)."""
    pairs: list[tuple[Endpoint, Endpoint]] = []
    taken: set[int] = set()
    for o in removed:
        for n in added:
            same_path = n["path"] == o["path"]
            same_source = n["method"] == o["method"] and n.get("source") == o.get(
                "source"
            )
            same_key = str(o.get("key") or "").startswith("id:") and o.get(
                "key"
            ) == n.get(
                "key"
            )  # an Apifox id
            if id(n) not in taken and (same_path or same_source or same_key):
                pairs.append((o, n))
                taken.add(id(n))
                break
    return pairs


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows; None when it allows anything."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return frozenset([kind])
    if isinstance(kind, list):
        return frozenset(kind)
    if "$ref" in schema:
        return frozenset([f"$ref {schema['$ref']}"])
    members = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(members, list):
        found = [_types(m) if isinstance(m, dict) else None for m in members]
        return None if any(t is None for t in found) else frozenset().union(*found)  # type: ignore[arg-type]
    return None


def _accepts(outer: frozenset[str] | None, inner: frozenset[str] | None) -> bool:
    """Does a schema of types `outer` accept every value of types `inner`?"""
    if outer is None:
        return True
    if inner is None:
        return False
    return set(inner) <= set(outer) | ({"integer"} if "number" in outer else set())


def _show_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _summary(schema: Any) -> Any:
    return _show_types(_types(schema)) if isinstance(schema, dict) else schema


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def compare(
    old: Registry,
    new: Registry,
    old_locator: Locator | None = None,
    new_locator: Locator | None = None,
) -> list[Finding]:
    differ = _Differ(old_locator or Locator(None), new_locator or Locator(None))
    differ.registries(old, new)
    return ordered(differ.findings)


# --- versions and the changelog ---------------------------------------------------------------


def bump(findings: list[Finding], changed: bool = True) -> str:
    """major on breaking, minor on additions, patch otherwise; "none" when nothing changed."""
    if any(f.level in ("breaking", "error") for f in findings):
        return "major"
    if any(f.rule in ADDITIONS for f in findings):
        return "minor"
    return "patch" if findings or changed else "none"


def next_version(current: str, part: str) -> str:
    major, minor, patch = (
        int(x) for x in ([*re.findall(r"\d+", current), "0", "0", "0"])[:3]
    )
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return (
        f"{major}.{minor}.{patch + 1}"
        if part == "patch"
        else f"{major}.{minor}.{patch}"
    )


def current_version(config: Config) -> str:
    """The newer of the generated package's VERSION and the newest version in CHANGELOG.md."""
    found = ["0.1.0"]
    meta = config.out_dir / config.package / "_meta.py"
    if meta.is_file():
        found += re.findall(
            r'^VERSION = "([^"]+)"', meta.read_text(encoding="utf-8"), re.M
        )
    changelog = config.root / "CHANGELOG.md"
    if changelog.is_file():
        found += re.findall(
            r"^## .*?(\d+\.\d+\.\d+)", changelog.read_text(encoding="utf-8"), re.M
        )[:1]
    return max(found, key=lambda v: tuple(int(x) for x in re.findall(r"\d+", v)[:3]))


def suggestion(findings: list[Finding], changed: bool, current: str) -> dict[str, str]:
    part = bump(findings, changed)
    return {"current": current, "bump": part, "next": next_version(current, part)}


def changelog_entry(
    package: str, version: str, findings: list[Finding], today: datetime.date
) -> str:
    lines = [f"## {package} {version} ({today.isoformat()})", ""]
    groups = [
        ("Breaking changes", ("breaking", "error")),
        ("Needs attention", ("warning",)),
        ("Other changes", ("info",)),
    ]
    for title, levels in groups:
        chosen = [f for f in findings if f.level in levels]
        if chosen:
            lines += [f"### {title}", ""]
            lines += [
                (
                    f"- `{f.endpoint}`: {f.message} (`{f.rule}`)"
                    if f.endpoint
                    else f"- {f.message} (`{f.rule}`)"
                )
                for f in chosen
            ]
            lines.append("")
    if not findings:
        lines += ["- Documentation changes only.", ""]
    return "\n".join(lines)


def prepend_changelog(path: Path, entry: str) -> None:
    title = "# Changelog\n\n"
    old = path.read_text(encoding="utf-8") if path.is_file() else title
    body = old[len(title) :] if old.startswith(title) else old
    path.write_text(
        title + entry + ("\n" + body if body.strip() else ""), encoding="utf-8"
    )


# --- the two sides ------------------------------------------------------------------------------


@dataclass
class Side:
    label: str
    registry: Registry
    locator: Locator


def working_tree(config: Config) -> Side:
    return Side(
        "working tree", registry_module.build(config, Report()), Locator(config.root)
    )


def load_side(spec: str, config: Config | None) -> Side:
    """A registry.json, a pyproject.toml, a project or specs folder, one export file, or a git ref."""
    path = Path(spec)
    if path.is_file() and path.suffix == ".json" and _is_registry(path):
        return Side(
            spec, _read_registry(path), Locator(config.root if config else path.parent)
        )
    if path.is_file() and path.suffix == ".toml":
        return working_tree(load_config(path))
    if path.is_file():  # one export, in any format the readers know
        single = config_module.from_arguments(
            path.resolve().parent, [path.name], None, config.package if config else None
        )
        return Side(spec, registry_module.build(single, Report()), Locator(single.root))
    if path.is_dir() and (path / "pyproject.toml").is_file():
        return working_tree(load_config(path / "pyproject.toml"))
    if path.is_dir():
        base = config or Config(root=path)
        patterns = tuple(_in_folder(pattern) for pattern in base.inputs)
        folder = dataclasses.replace(base, root=path, inputs=patterns, overlays=())
        return Side(spec, registry_module.build(folder, Report()), Locator(path))
    if config is not None and _is_ref(spec, config.root):
        return from_git(spec, config)
    raise fail(
        spec,
        None,
        "not a registry .json, a pyproject.toml, a folder of specs or a git ref",
    )


def _in_folder(pattern: str) -> str:
    name = PurePosixPath(pattern).name
    return f"**/{name}" if any(c in name for c in "*?[") else name


def _is_registry(path: Path) -> bool:
    """A registry starts with its version key; an export never has one."""
    with path.open("rb") as handle:
        return b'"registry_version"' in handle.read(200)


def _read_registry(path: Path) -> Registry:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(str(path), None, f"not a readable registry: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
        raise fail(
            str(path),
            None,
            'not a registry: expected an object with an "endpoints" list',
        )
    return cast(Registry, data)  # perhaps an older one: read with .get


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise fail("git", None, f"could not run git: {exc}") from None


def _is_ref(ref: str, root: Path) -> bool:
    return (
        not ref.startswith("-")
        and _git(
            root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"
        ).returncode
        == 0
    )


def from_git(ref: str, config: Config) -> Side:
    """The registry the inputs at `ref` give, with this config; `git archive`, no checkout."""
    if not _is_ref(ref, config.root):
        raise fail(
            ref,
            None,
            "not a git commit or ref here (fetch it first, e.g. `git fetch origin main`)",
        )
    folders = sorted(
        {_static_prefix(pattern) for pattern in (*config.inputs, *config.overlays)}
    )
    present = [
        f
        for f in folders
        if f == "."
        or _git(config.root, "cat-file", "-e", f"{ref}:./{f}").returncode == 0
    ]
    with tempfile.TemporaryDirectory(prefix="specgen-base-") as tmp:
        root = Path(tmp)
        if present:
            done = _git(config.root, "archive", "--format=tar", ref, "--", *present)
            if done.returncode != 0:
                raise fail(
                    "git",
                    None,
                    f"git archive {ref} failed: {done.stderr.decode(errors='replace').strip()}",
                )
            _extract(done.stdout, root)
        inputs, overlays = _existing(root, config.inputs), _existing(
            root, config.overlays
        )
        if not inputs:
            return Side(ref, empty(), Locator(None))
        try:
            built = registry_module.build(
                dataclasses.replace(
                    config, root=root, inputs=inputs, overlays=overlays
                ),
                Report(),
            )
        except SpecError as error:
            note = Diagnostic("error", ref, None, "the specs at this ref do not build:")
            raise SpecError([note, *error.diagnostics]) from None
    return Side(ref, built, Locator(None))


def _extract(tar: bytes, root: Path) -> None:
    """Regular files and folders only, never outside `root` (a PR could commit a symlink)."""
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        safe = [
            m
            for m in archive.getmembers()
            if (m.isfile() or m.isdir())
            and not m.name.startswith("/")
            and ".." not in PurePosixPath(m.name).parts
        ]
        if hasattr(tarfile, "data_filter"):
            archive.extractall(root, members=safe, filter="data")
        else:  # pragma: no cover  (Python before 3.10.12 / 3.11.4)
            archive.extractall(root, members=safe)


def _existing(root: Path, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The patterns that match something under `root` (a ref may predate some inputs)."""
    return tuple(
        p
        for p in patterns
        if (any(root.glob(p)) if any(c in p for c in "*?[") else (root / p).exists())
    )


def _static_prefix(pattern: str) -> str:
    parts = PurePosixPath(pattern).parts
    fixed = []
    for part in parts:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed) or "."


def call_path(endpoint: Endpoint) -> str | None:
    """Where the endpoint's method sits on the client, `user.login` (`get_user` when flat);
    registries written before namespaces have the attribute alone."""
    names = endpoint.get("names") or {}
    method = names.get("method") or names.get("attribute")
    if method is None:
        return None
    return ".".join([*(names.get("namespace") or []), str(method)])
