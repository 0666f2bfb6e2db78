"""One finding model for `check`, `diff` and `lint`, and the formats it is printed in.

A Finding is what buf calls a FileAnnotation: a rule id, a level, a message and where it is
(endpoint, field, file, line, JSON pointer). An Outcome is one command's findings plus the
`--fail-on` threshold; it decides the exit status (0 clean, 100 findings at or above the
threshold) and renders as text, json, markdown, junit or github (Actions annotations).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote
from xml.etree import ElementTree

from generator.diagnostics import fail

# generator.readers loads on first use only (any submodule runs the package's __init__, which
# loads every reader): `check` and the report formats do without it.
if TYPE_CHECKING:
    from generator.readers.positions import Positions
    from generator.registry_types import Endpoint

EXIT_OK, EXIT_TOOL_FAILED, EXIT_FINDINGS = 0, 1, 100
RANK = {"info": 0, "warning": 1, "error": 2, "breaking": 2}
FORMATS = ("text", "json", "markdown", "junit", "github")
JSON_VERSION = 1


@dataclass(frozen=True)
class Finding:
    rule: str
    level: (
        str  # diff: breaking | warning | info; lint and check: error | warning | info
    )
    message: str  # complete on its own; formats add the endpoint and the location
    endpoint: str = ""  # "METHOD /path"
    field: str = ""  # "num_images", "loras[].path", "query:seed"
    old: Any = None  # diff only: the value before ...
    new: Any = None  # ... and after (None when absent)
    file: str = ""  # relative to the project root
    line: int | None = None
    pointer: str = ""  # JSON pointer inside the endpoint as the file states it
    details: dict[str, Any] = dataclasses.field(
        default_factory=dict, hash=False, compare=False
    )
    column: int | None = (
        None  # 1-based, in characters; what tells apart one-line findings
    )

    def where(self) -> str:
        if not self.file:
            return ""
        if self.line is None:
            return self.file
        column = f":{self.column}" if self.column is not None else ""
        return f"{self.file}:{self.line}{column}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "endpoint": self.endpoint,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
            "details": self.details,
        }


def ordered(findings: list[Finding]) -> list[Finding]:
    """Deduplicated and sorted (endpoint, field, rule, message), like buf's annotation sets."""
    unique: dict[str, Finding] = {}
    for finding in findings:
        unique.setdefault(
            json.dumps(
                finding.as_dict(), sort_keys=True, ensure_ascii=False, default=str
            ),
            finding,
        )
    return sorted(
        unique.values(),
        key=lambda f: (
            f.endpoint,
            f.field,
            f.rule,
            f.message,
            f.file,
            f.line or 0,
            f.column or 0,
            f.pointer,
        ),
    )


@dataclass
class Outcome:
    command: str  # "check" | "diff" | "lint"
    findings: list[Finding]
    fail_on: str  # a level, or "none"
    notes: list[str] = dataclasses.field(
        default_factory=list
    )  # extra lines for people (suggested version, ...)
    extra: dict[str, Any] = dataclasses.field(
        default_factory=dict
    )  # extra JSON members

    def failing(self) -> list[Finding]:
        if self.fail_on == "none":
            return []
        return [f for f in self.findings if RANK[f.level] >= RANK[self.fail_on]]

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.failing() else EXIT_OK

    def counts(self) -> dict[str, int]:
        levels = (
            ["breaking", "warning", "info"]
            if self.command == "diff"
            else ["error", "warning", "info"]
        )
        return {
            level: sum(1 for f in self.findings if f.level == level) for level in levels
        }

    def counted(self) -> str:
        plural = {"error": "errors", "warning": "warnings"}
        return ", ".join(
            f"{n} {plural.get(level, level) if n != 1 else level}"
            for level, n in self.counts().items()
        )

    def summary(self) -> str:
        parts = self.counted()
        verdict = f"exit {self.exit_code}" + (
            f" (fails on {self.fail_on})" if self.fail_on != "none" else ""
        )
        return f"specgen {self.command}: {parts}; {verdict}"


# --- settings: [tool.specgen.lint] / [tool.specgen.diff] ------------------------------------


@dataclass(frozen=True)
class Settings:
    ignore: frozenset[str] = frozenset()
    severity: tuple[tuple[str, str], ...] = ()
    ignore_endpoints: tuple[tuple[str, frozenset[str]], ...] = ()

    def apply(self, findings: list[Finding]) -> list[Finding]:
        levels = dict(self.severity)
        per_endpoint = dict(self.ignore_endpoints)
        kept = []
        for finding in findings:
            skipped = per_endpoint.get(finding.endpoint, frozenset())
            if finding.rule in self.ignore or finding.rule in skipped or "*" in skipped:
                continue
            level = levels.get(finding.rule, finding.level)
            if level == "off":
                continue
            kept.append(
                finding if level == finding.level else _with_level(finding, level)
            )
        return kept


def _with_level(finding: Finding, level: str) -> Finding:
    data = finding.as_dict()
    data["level"] = level
    return Finding(**data)


def settings(
    table: Any, section: str, rules: dict[str, str], levels: tuple[str, ...]
) -> Settings:
    """Check a `[tool.specgen.<section>]` table against the known rule ids and levels."""
    where = f"[tool.specgen.{section}]"
    if not table:
        return Settings()
    if not isinstance(table, dict):
        raise fail("pyproject.toml", None, f"{where} must be a table")
    unknown = sorted(set(table) - {"ignore", "severity", "ignore_endpoints"})
    if unknown:
        raise fail(
            "pyproject.toml",
            None,
            f"unknown {where} keys {unknown}: expected ignore, severity, ignore_endpoints",
        )

    def rule_ids(value: Any, what: str, allow_star: bool = False) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(
                "pyproject.toml", None, f"{where} {what} must be a list of rule ids"
            )
        bad = sorted(
            v for v in value if v not in rules and not (allow_star and v == "*")
        )
        if bad:
            raise fail(
                "pyproject.toml",
                None,
                f"{where} {what}: unknown rule ids {bad}; see README 'CI contract checks'",
            )
        return frozenset(value)

    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise fail(
            "pyproject.toml",
            None,
            f"{where} severity must be a table of rule id = level",
        )
    rule_ids(list(severity), "severity")
    choices = (*levels, "off")
    for rule, level in severity.items():
        if level not in choices:
            raise fail(
                "pyproject.toml",
                None,
                f"{where} severity {rule} = {level!r}: expected one of {list(choices)}",
            )
    endpoints = table.get("ignore_endpoints", {})
    if not isinstance(endpoints, dict):
        raise fail(
            "pyproject.toml",
            None,
            f'{where} ignore_endpoints must be a table of "METHOD /path" = [rule ids]',
        )
    return Settings(
        ignore=rule_ids(table.get("ignore", []), "ignore"),
        severity=tuple(sorted(severity.items())),
        ignore_endpoints=tuple(
            sorted(
                (ep, rule_ids(ids, f"ignore_endpoints {ep!r}", True))
                for ep, ids in endpoints.items()
            )
        ),
    )


# --- shared schemas ----------------------------------------------------------------------------

DEFS_REF = "#/$defs/"  # how registry schemas point into registry["schemas"]


def view(schema: Any, defs: dict[str, Any], depth: int = 0) -> tuple[Any, str | None]:
    """(the schema with its top-level `$ref` chain followed and `allOf` merged, the last ref followed).

    Diff and lint see through shared models this way; the ref tells them when they are going round a cycle.
    """
    ref = None
    while (
        isinstance(schema, dict)
        and str(schema.get("$ref", "")).startswith(DEFS_REF)
        and depth < 20
    ):
        ref = schema["$ref"][len(DEFS_REF) :]
        if ref not in defs:
            break
        schema, depth = defs[ref], depth + 1
    members = schema.get("allOf") if isinstance(schema, dict) else None
    if not isinstance(members, list) or depth >= 20:
        return schema, ref
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    for member in members:
        part, _ = view(member, defs, depth + 1)
        if not isinstance(part, dict):
            continue
        merged["properties"] = {
            **(part.get("properties") or {}),
            **(merged.get("properties") or {}),
        }
        required = [*(merged.get("required") or []), *(part.get("required") or [])]
        merged["required"] = list(dict.fromkeys(required))
        for key, value in part.items():
            merged.setdefault(key, value)
    return merged, ref


# --- source lines ----------------------------------------------------------------------------


SECTIONS = {
    "request": "请求体",
    "parameter": "参数",
    "response": "响应",
}  # headings in Apifox doc pages


@dataclass(frozen=True)
class Place:
    """Where a finding is: the file, its line and column, and the JSON pointer shown."""

    file: str
    line: int | None
    column: int | None = None
    pointer: str = ""


class _Structured:
    """A JSON or YAML input: its data (to choose among media types, parameters, responses) and
    the positions of its nodes (found lazily, only for the pointers findings name)."""

    def __init__(self, data: Any, positions: Positions) -> None:
        self.data, self.positions = data, positions
        self.native = isinstance(data, dict) and (
            "apifoxProject" in data or "apidogProject" in data
        )
        self.swagger2 = (
            isinstance(data, dict) and "swagger" in data and "openapi" not in data
        )

    def node(self, pointer: str) -> Any:
        from generator.readers.refs import node_at

        return node_at(self.data, pointer)


class Locator:
    """Where things are in the input files (relative to `root`).

    JSON and YAML inputs (native exports, OpenAPI, a doc-site page's YAML block): the exact line
    and column of the node a JSON pointer names. Doc pages and Markdown exports: the line, found
    by searching their text from the endpoint's line for the section and the field."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._cache: dict[str, list[str]] = {}
        self._texts: dict[str, str] = {}
        self._structured: dict[str, _Structured | None] = {}

    def text(self, file: str) -> str:
        if file not in self._texts:
            path = self.root / file if self.root is not None and file else None
            try:
                self._texts[file] = (
                    path.read_text(encoding="utf-8-sig")
                    if path is not None and path.is_file()
                    else ""
                )
            except (OSError, UnicodeDecodeError):
                self._texts[file] = ""
        return self._texts[file]

    def lines(self, file: str) -> list[str]:
        if file not in self._cache:
            text = self.text(file)
            self._cache[file] = text.split("\n") if text else []
        return self._cache[file]

    def structured(self, file: str) -> _Structured | None:
        """The file's data and node positions, when it is JSON or YAML (else None)."""
        if file not in self._structured:
            self._structured[file] = _load_structured(self.text(file))
        return self._structured[file]

    def endpoint(
        self, endpoint: Endpoint, section: str = "", field: str = ""
    ) -> tuple[str, int | None]:
        """(file, line) of an endpoint, of one of its sections, or of a request field or parameter in it."""
        source: Mapping[str, Any] = (
            endpoint.get("source") or {}
        )  # an older registry's too
        file = str(source.get("file") or "")
        if source.get("pointer") and self.structured(file) is not None:
            # JSON / YAML: the node's own line (a response field: the endpoint's line)
            inside = _field_pointer(section, field)
            if inside is None:
                return file, source.get("line")
            return file, self.place(endpoint, inside).line
        needles = [SECTIONS[section]] if section in SECTIONS else []
        leaf = re.split(r"[.:]", field.replace("[]", ""))[-1] if field else ""
        if leaf and section in ("request", "parameter"):
            needles.append(f'"{leaf}"')
        return file, self.find(file, source.get("line"), *needles)

    def place(
        self,
        endpoint: Endpoint,
        pointer: str = "",
        section: str = "",
        field: str = "",
    ) -> Place:
        """Where a part of an endpoint is. `pointer` is inside the endpoint, in the terms of an
        Apifox endpoint (`/requestBody/jsonSchema/properties/x`, `/parameters/query/<name>`,
        `/responses/<index>/jsonSchema`, `.../examples/<index>/...`); in a JSON or YAML file
        it becomes the pointer of that node in the file (an OpenAPI operation's parameter,
        media type, response, a `$ref`'d component) and the place is that node's."""
        source: Mapping[str, Any] = endpoint.get("source") or {}
        file = str(source.get("file") or "")
        base = str(source.get("pointer") or "")
        structured = self.structured(file) if base else None
        if structured is None:
            file, line = self.endpoint(endpoint, section, field)
            return Place(file, line, None, pointer)
        target = _in_file(structured, base, pointer, endpoint)
        located = structured.positions.locate(target)
        if located is None:
            return Place(file, source.get("line"), None, target)
        return Place(file, located.line, located.column, target)

    def place_pointer(self, file: str, pointer: str) -> Place | None:
        """The place of a pointer into the whole file, when the file has that node."""
        structured = self.structured(file)
        located = structured.positions.locate(pointer) if structured else None
        if located is None or not located.exact:
            return None
        return Place(file, located.line, located.column, pointer)

    def find(self, file: str, start: int | None, *needles: str) -> int | None:
        """From `start`, the line of each needle in turn; a needle not found keeps the line so far."""
        lines = self.lines(file)
        line = start
        if not lines or start is None:
            return start
        for needle in needles:
            hit = next(
                (n for n in range(line or 1, len(lines) + 1) if needle in lines[n - 1]),
                None,
            )
            if hit is not None:
                line = hit
        return line


def _field_pointer(section: str, field: str) -> str | None:
    """A request field (`loras[].path`) or parameter (`query:seed`) as a pointer into its
    endpoint, in the terms `Locator.place` takes; None for anything else."""
    if section == "parameter" and ":" in field:
        location, name = field.split(":", 1)
        return _join("parameters", location, name)
    if section != "request" or not field:
        return "" if not field else None
    parts: list[str] = ["requestBody", "jsonSchema"]
    for name in field.split("."):
        depth = 0
        while name.endswith("[]"):
            name, depth = name[:-2], depth + 1
        parts += ["properties", name] + ["items"] * depth
    return _join(*parts)


def _load_structured(text: str) -> _Structured | None:
    # The readers load only when a finding must be placed: `check` reports without them.
    import yaml

    from generator.readers import native, openapi
    from generator.readers.positions import JsonPositions, YamlPositions
    from generator.readers.refs import YamlLoader, plain_data

    if not text.strip():
        return None
    try:
        if text.lstrip().startswith(("{", "[")):
            data = json.loads(text)
            refs = native.model_pointers(data)
            return _Structured(data, JsonPositions(text, refs.get))
        if openapi.looks_like_yaml(text):
            data = plain_data(yaml.load(text, Loader=YamlLoader))
            return _Structured(data, YamlPositions(text))
        block = openapi.docsite_block(text)
        if block is not None:
            first_line, body = block
            data = plain_data(yaml.load(body, Loader=YamlLoader))
            return _Structured(data, YamlPositions(body, first_line - 1))
    except (ValueError, yaml.YAMLError):
        return None
    return None


def _in_file(
    structured: _Structured, base: str, pointer: str, endpoint: Endpoint
) -> str:
    """An endpoint-relative pointer (Apifox terms) as the pointer in the file, below `base`."""
    from generator.readers.positions import tokens

    parts = tokens(pointer)
    api = structured.node(base)
    if not parts or not isinstance(api, dict):
        return base + pointer
    if structured.native:
        return base + _native_pointer(api, parts, endpoint)
    found = _openapi_pointer(structured, api, parts, endpoint)
    if found == "/parameters" and len(parts) >= 3:  # a parameter of the path item?
        item_at = base.rsplit("/", 1)[0]
        index = _parameter_index(
            _Deref(structured), structured.node(item_at), parts[1], parts[2]
        )
        if index is not None:
            return item_at + _join("parameters", index)
    return base + found


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _join(*parts: str | int) -> str:
    from generator.readers.refs import pointer_token

    return "".join("/" + pointer_token(part) for part in parts)


def _response_index(endpoint: Endpoint, parts: list[str]) -> Mapping[str, Any]:
    responses = endpoint.get("responses") or []
    index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
    return responses[index] if 0 <= index < len(responses) else {}


def _native_pointer(api: dict[str, Any], parts: list[str], endpoint: Endpoint) -> str:
    head, rest = parts[0], parts[1:]
    if head == "parameters" and len(rest) >= 2:
        location, name = rest[0], rest[1]
        raw = api.get("parameters")
        items = _dicts(raw.get(location)) if isinstance(raw, dict) else []
        index = next(
            (i for i, item in enumerate(items) if str(item.get("name")) == name), None
        )
        return _join("parameters", location, *(() if index is None else (index,)))
    if head == "requestBody" and rest[:1] == ["jsonSchema"]:
        body = api.get("requestBody")
        fields = _dicts(body.get("parameters")) if isinstance(body, dict) else []
        if fields and rest[1:2] == ["properties"] and len(rest) > 2:
            index = next(
                (i for i, f in enumerate(fields) if str(f.get("name")) == rest[2]),
                None,
            )
            if index is not None:  # a form field: its item in requestBody.parameters
                return _join("requestBody", "parameters", index)
        return _join(*parts)
    if head == "requestBody" and rest[:1] == ["examples"]:
        return _join(*parts[:4])  # the example's text: the pointer ends at the string
    if head == "responses":
        response = _response_index(endpoint, parts)
        code = response.get("code")
        raws = _dicts(api.get("responses"))
        index = next(
            (i for i, r in enumerate(raws) if _status(r.get("code")) == code), None
        )
        if index is None:
            return ""
        if rest[1:2] == ["examples"] and len(rest) > 2 and rest[2].isdigit():
            ident = raws[index].get("id")
            examples = [
                i
                for i, example in enumerate(_dicts(api.get("responseExamples")))
                if example.get("responseId") == ident
                or (ident is None and _status(example.get("code")) == code)
            ]
            number = int(rest[2])
            if number < len(examples):
                return _join("responseExamples", examples[number], "data")
        return _join("responses", index, *rest[1:2])
    return _join(*parts)


def _key_code(key: Any) -> int | None:
    """The status code an OpenAPI response key names, as the reader reads it."""
    match = re.search(r"(?<!\d)([1-5]\d\d)(?!\d)", str(key))
    return int(match.group(1)) if match else None


def _status(value: Any) -> int | None:
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


def _openapi_pointer(
    structured: _Structured,
    operation: dict[str, Any],
    parts: list[str],
    endpoint: Endpoint,
) -> str:
    head, rest = parts[0], parts[1:]
    deref = _Deref(structured)
    if head == "parameters" and len(rest) >= 2:
        location, name = rest[0], rest[1]
        index = _parameter_index(deref, operation, location, name)
        if index is not None:
            return _join("parameters", index)
        return _join("parameters")
    if head == "requestBody":
        request: Mapping[str, Any] = endpoint.get("request") or {}
        if structured.swagger2:
            return _swagger2_body(deref, operation, rest)
        media = str(request.get("content_type") or "")
        body = deref(operation.get("requestBody"))
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, dict) or media not in content:
            return _join("requestBody")
        body_at = ("requestBody", "content", media)
        if rest[:1] == ["jsonSchema"]:
            return _join(*body_at, "schema", *rest[1:])
        if rest[:1] == ["examples"] and len(rest) > 1 and rest[1].isdigit():
            return _media_example(
                deref, content[media], body_at, int(rest[1]), rest[3:]
            )
        return _join(*body_at)
    if head == "responses":
        response = _response_index(endpoint, parts)
        code = response.get("code")
        raws = operation.get("responses") if isinstance(operation, dict) else None
        key = next((str(k) for k in raws or {} if _key_code(k) == code), None)
        if key is None:
            return _join("responses")
        raw = deref((raws or {})[key])
        at: tuple[str, ...] = ("responses", key)
        if structured.swagger2:
            if rest[1:2] == ["examples"]:
                return _join(*at, "examples")
            return _join(*at, "schema")
        content = raw.get("content") if isinstance(raw, dict) else None
        media = str(response.get("content_type") or "")
        if not isinstance(content, dict) or media not in content:
            return _join(*at)
        at = (*at, "content", media)
        if rest[1:2] == ["examples"] and len(rest) > 2 and rest[2].isdigit():
            return _media_example(deref, content[media], at, int(rest[2]), rest[3:])
        return _join(*at, "schema")
    return _join(*parts)


class _Deref:
    """Follows a local `$ref` of a parameter, body or response object to its target."""

    def __init__(self, structured: _Structured) -> None:
        self.structured = structured

    def __call__(self, value: Any) -> Any:
        for _ in range(20):
            ref = value.get("$ref") if isinstance(value, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return value
            value = self.structured.node(unquote(ref[1:]))
        return value


def _parameter_index(
    deref: _Deref, holder: Any, location: str, name: str
) -> int | None:
    raw = holder.get("parameters") if isinstance(holder, dict) else None
    for index, param in enumerate(raw if isinstance(raw, list) else []):
        param = deref(param)
        if (
            isinstance(param, dict)
            and str(param.get("name")) == name
            and str(param.get("in")) == location
        ):
            return index
    return None


def _swagger2_body(deref: _Deref, operation: dict[str, Any], rest: list[str]) -> str:
    params = [deref(p) for p in operation.get("parameters") or []]
    for index, param in enumerate(params):
        if isinstance(param, dict) and param.get("in") == "body":
            if rest[:1] == ["jsonSchema"]:
                return _join("parameters", index, "schema", *rest[1:])
            return _join("parameters", index)
    if rest[:2] == ["jsonSchema", "properties"] and len(rest) > 2:
        for index, param in enumerate(params):
            if isinstance(param, dict) and str(param.get("name")) == rest[2]:
                return _join("parameters", index)
    return _join("parameters")


def _media_example(
    deref: _Deref, media: Any, at: tuple[str, ...], number: int, rest: list[str]
) -> str:
    """`example` first, then `examples.<key>.value`, as the reader numbers them."""
    media = media if isinstance(media, dict) else {}
    if "example" in media:
        if number == 0:
            return _join(*at, "example", *rest)
        number -= 1
    keys = (
        list(media.get("examples") or {})
        if isinstance(media.get("examples"), dict)
        else []
    )
    if number < len(keys):
        return _join(*at, "examples", keys[number], "value", *rest)
    return _join(*at)


# --- formats ---------------------------------------------------------------------------------


def render(kind: str, outcome: Outcome) -> str:
    return {
        "text": text,
        "json": to_json,
        "markdown": markdown,
        "junit": junit,
        "github": github,
    }[kind](outcome)


def text(outcome: Outcome) -> str:
    lines = []
    for f in outcome.findings:
        where = f"{f.where()}: " if f.file else ""
        about = f"{f.endpoint}: " if f.endpoint else ""
        at = f" (at {f.pointer})" if f.pointer else ""
        lines.append(f"{where}{f.level}: {about}{f.message} [{f.rule}]{at}")
    lines.append(outcome.summary())
    lines += outcome.notes
    return "\n".join(lines) + "\n"


def to_json(outcome: Outcome) -> str:
    document = {
        "tool": "specgen",
        "format_version": JSON_VERSION,
        "command": outcome.command,
        "fail_on": outcome.fail_on,
        "exit_code": outcome.exit_code,
        "summary": outcome.counts(),
        **outcome.extra,
        "findings": [f.as_dict() for f in outcome.findings],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"


def _cell(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )


def _code(value: str) -> str:
    if not value:
        return ""
    fence = "``" if "`" in value else "`"
    return f"{fence} {_cell(value)} {fence}" if fence == "``" else f"`{_cell(value)}`"


def markdown(outcome: Outcome) -> str:
    """A PR comment: a marker (to find and update the comment), a headline and a table."""
    counts = outcome.counted()
    status = "fails" if outcome.exit_code else "passes"
    lines = [
        f"<!-- specgen:{outcome.command} -->",
        f"### specgen {outcome.command}: {counts} ({status})",
        "",
    ]
    if outcome.findings:
        lines += [
            "| level | rule | endpoint | field | finding | where |",
            "|---|---|---|---|---|---|",
        ]
        for f in outcome.findings:
            level = f"**{f.level}**" if RANK[f.level] >= 2 else f.level
            lines.append(
                f"| {level} | {_code(f.rule)} | {_code(f.endpoint)} | {_code(f.field)} | {_cell(f.message)} | {_cell(f.where())} |"
            )
    else:
        lines.append("No findings.")
    if outcome.notes:
        lines += [""] + [f"- {_cell(note)}" for note in outcome.notes]
    return "\n".join(lines) + "\n"


def junit(outcome: Outcome) -> str:
    """One testcase per finding; findings at or above --fail-on are failures."""
    failing = {id(f) for f in outcome.failing()}
    name = f"specgen {outcome.command}"
    suites = ElementTree.Element("testsuites", name=name)
    suite = ElementTree.SubElement(suites, "testsuite", name=name)
    if outcome.notes:
        properties = ElementTree.SubElement(suite, "properties")
        for index, note in enumerate(outcome.notes):
            ElementTree.SubElement(
                properties, "property", name=f"note{index}", value=note
            )
    cases = 0
    for f in outcome.findings:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f.endpoint or f.file or name,
            name=f"{f.rule} {f.field}".strip(),
        )
        if f.file:
            case.set("file", f.file)
        if f.line is not None:
            case.set("line", str(f.line))
        body = (
            f"{f.where()}: {f.level}: {f.message}"
            if f.file
            else f"{f.level}: {f.message}"
        )
        if id(f) in failing:
            failure = ElementTree.SubElement(
                case, "failure", type=f.rule, message=f.message
            )
            failure.text = body
        else:
            ElementTree.SubElement(case, "system-out").text = body
        cases += 1
    if not cases:
        ElementTree.SubElement(suite, "testcase", classname=name, name="no findings")
        cases = 1
    for element in (suites, suite):
        element.set("tests", str(cases))
        element.set("failures", str(len(failing)))
        element.set("errors", "0")
    ElementTree.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(suites, encoding="unicode")
        + "\n"
    )


_ANNOTATION = {2: "error", 1: "warning", 0: "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(outcome: Outcome) -> str:
    """GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=RULE::message (at POINTER)`."""
    lines = []
    for f in outcome.findings:
        props = []
        if f.file:
            props.append(f"file={_escape_property(f.file)}")
            if f.line is not None:
                props.append(f"line={f.line}")
                if f.column is not None:
                    props.append(f"col={f.column}")
        props.append(f"title={_escape_property(f'{f.rule} ({f.level})')}")
        about = f"{f.endpoint}: " if f.endpoint else ""
        at = f" (at {f.pointer})" if f.pointer else ""
        lines.append(
            f"::{_ANNOTATION[RANK[f.level]]} {','.join(props)}::{_escape_data(about + f.message + at)}"
        )
    for message in [outcome.summary(), *outcome.notes]:
        lines.append(
            f"::notice title={_escape_property(f'specgen {outcome.command}')}::{_escape_data(message)}"
        )
    return "\n".join(lines) + "\n"


ANNOTATION_LINE = re.compile(
    r"^::(error|warning|notice)( [a-z]+=[^,:]*(,[a-z]+=[^,:]*)*)?::.*$"
)
