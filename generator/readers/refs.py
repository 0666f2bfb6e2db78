"""Helpers shared by the native, OpenAPI and Markdown readers.

The main piece is `SchemaFixer`: every schema a reader hands out goes through it, so that the
`SourceDocument` conventions hold whatever the input looked like:
- every `$ref` names a key of `SourceDocument.schemas` as `#/components/schemas/<name>`
  (Apifox's `#/definitions/<id>`, percent-encoded refs and JSON-pointer escapes are resolved;
  a ref that resolves nowhere, or leaves the document unallowed, is a located error);
- Apifox's `x-apifox-refs` are spliced into `properties` at their `x-apifox-orders` position,
  with `x-apifox-overrides` and `required` applied, as the Apifox editor shows them;
- `nullable: true` (OpenAPI 3.0) becomes a JSON Schema type list, `type: file` a binary string;
- leftovers of unfinished Apifox edits (pending ULID-named properties) are dropped.

The rest are small helpers: base URL / path splitting, lenient JSON-in-a-string, loading JSON
with a located syntax error (positions of nodes: readers/positions.py).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import yaml

from generator.diagnostics import Report, fail
from generator.readers import guard

COMPONENTS = "#/components/schemas/"
# Apifox's editor keys its internal bookkeeping by ULIDs (26 Crockford base-32 characters).
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")

# Keywords whose value is one schema, a list of schemas, or a map of name -> schema. Only these
# are walked: `example`, `enum`, `default`, `const` hold data, which must never be rewritten.
ONE_SCHEMA = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
)
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_MAPS = (
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
)


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one: exports leave keys out or null."""
    return value if isinstance(value, dict) else {}


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": COMPONENTS + name}


def unique_name(name: str, taken: set[str], fallback: str = "Model") -> str:
    """`name`, or `name_2`, `name_3`, ... when it is taken; models may share a display name.

    `/`, `~` and `%` become `_`: then `#/components/schemas/<name>` is at once a plain string
    key and a JSON pointer that needs no escaping (a URI fragment would percent-decode `%`).
    Everything else (CJK, spaces, `|`, `«»`) is kept: the name stays readable."""
    base = re.sub(r"[/~%]", "_", name.strip()) or fallback
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}_{number}"
    taken.add(candidate)
    return candidate


def pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join("/" + pointer_token(token) for token in tokens)


def unescape_pointer(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def node_at(data: Any, json_pointer: str) -> Any:
    """The value at an (already percent-decoded) JSON pointer in parsed data, or None."""
    node = data
    for token in json_pointer.split("/")[1:] if json_pointer else []:
        token = unescape_pointer(token)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


class SchemaFixer:
    """Fixes the schemas of one document (see the module docstring).

    `models` maps a model name to its raw schema; `aliases` maps other spellings of a ref
    (Apifox's `#/definitions/<id>`) to a name; `source_names` maps a model's key in the source
    to its name (see unique_name); `pointers` says where a model sits in the file. `inline` may return a raw schema for a ref that
    names no model (an OpenAPI pointer into a model's property, say); it is fixed and inlined.
    """

    def __init__(
        self,
        file: str,
        report: Report,
        models: dict[str, Any],
        aliases: dict[str, str] | None = None,
        inline: Callable[[str], Any] | None = None,
        pointers: dict[str, str] | None = None,
        source_names: dict[str, str] | None = None,
    ) -> None:
        self.file = file
        self.report = report
        self.raw = models
        self.aliases = aliases or {}
        self.source_names = (
            source_names or {}
        )  # a model's key in the source -> its name here
        self.pointers = (
            pointers or {}
        )  # where each model sits in the file, for warnings
        self.inline = inline
        self._fixed: dict[str, dict[str, Any]] = {}
        self._fixing: list[str] = (
            []
        )  # models being fixed: a model that spreads itself is a cycle
        self._inlining: list[str] = []
        self.line: int | None = None
        self.where = ""

    # -- the document's models -------------------------------------------------------------

    def schemas(self) -> dict[str, dict[str, Any]]:
        """Every model, fixed, in the source's order."""
        return {name: self.model(name) for name in self.raw}

    def model(self, name: str) -> dict[str, Any]:
        if name in self._fixed:
            return self._fixed[name]
        if name in self._fixing:  # only spreading recurses; a plain $ref never expands
            self.report.warn(
                self.file,
                self.line,
                f"model {name!r} spreads itself through x-apifox-refs; the inner spread was left out",
                self.where,
            )
            return {}
        self._fixing.append(name)
        saved = (self.line, self.where)
        self.line, self.where = None, self.pointers.get(
            name, "/components/schemas" + pointer(name)
        )
        try:
            raw = self.raw[name]
            fixed = self._fix(raw) if isinstance(raw, dict) else {}
        finally:
            self._fixing.pop()
            self.line, self.where = saved
        self._fixed[name] = fixed
        return fixed

    def resolve(self, ref: str) -> str | None:
        """The model name a ref points at, or None."""
        if ref in self.aliases:
            return self.aliases[ref]
        decoded = unquote(ref)
        if decoded in self.aliases:
            return self.aliases[decoded]
        for prefix in (COMPONENTS, "#/definitions/"):
            if decoded.startswith(prefix):
                name = unescape_pointer(decoded[len(prefix) :])
                if name in self.source_names:
                    return self.source_names[name]
                if name in self.raw:
                    return name
        return None

    # -- schemas ---------------------------------------------------------------------------

    def fix(self, schema: Any, line: int | None = None, where: str = "") -> Any:
        """A fixed copy of `schema`; `line`/`where` locate warnings."""
        self.line, self.where = line, where
        return self._fix(schema)

    def _fix(self, node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        node = dict(node)
        if isinstance(node.get("x-apifox-refs"), dict):
            node = self._splice(node)
        node.pop("x-apifox-refs", None)
        if "$ref" in node:
            inlined = self._fix_ref(node)
            if inlined is not None:
                return inlined
        if node.get("type") == "file":  # Swagger 2 / old Apifox form fields
            node["type"], node["format"] = "string", "binary"
        _nullable_to_type_list(node)
        _exclusive_bounds(node)
        _drop_leftovers(node)
        for key in ONE_SCHEMA:
            if isinstance(node.get(key), (dict, list)):
                node[key] = (
                    [self._fix(s) for s in node[key]]
                    if isinstance(node[key], list)
                    else self._fix(node[key])
                )
        for key in SCHEMA_LISTS:
            if isinstance(node.get(key), list):
                node[key] = [self._fix(s) for s in node[key]]
        for key in SCHEMA_MAPS:
            if isinstance(node.get(key), dict):
                node[key] = {name: self._fix(s) for name, s in node[key].items()}
        return node

    def _fix_ref(self, node: dict[str, Any]) -> dict[str, Any] | None:
        """Rewrite node's $ref in place; returns a replacement when the target is inlined."""
        ref = node["$ref"]
        name = self.resolve(ref) if isinstance(ref, str) else None
        if name is not None:
            node["$ref"] = COMPONENTS + name
            return None
        if (
            isinstance(ref, str)
            and self.inline is not None
            and ref not in self._inlining
        ):
            target = self.inline(ref)
            if isinstance(target, dict):
                self._inlining.append(ref)
                try:
                    siblings = {
                        key: value for key, value in node.items() if key != "$ref"
                    }
                    return {**self._fix(target), **siblings}
                finally:
                    self._inlining.pop()
        if isinstance(ref, str) and not ref.startswith("#"):
            # A ref out of the document that may not be read (external_refs): never fetched or
            # opened, and an error, not a silently untyped value.
            from generator.readers import external

            raise fail(self.file, self.line, external.refusal(ref), self.where)
        # A local ref to nothing: dropping it would type the value as anything, a different
        # client, not a fix.
        raise fail(
            self.file,
            self.line,
            f"$ref {ref!r} points at no schema of this file; expected a reference to one of its models",
            self.where,
        )
        return None

    # -- x-apifox-refs -----------------------------------------------------------------------

    def _splice(self, node: dict[str, Any]) -> dict[str, Any]:
        """Spread each referenced model's properties where its ULID sits in x-apifox-orders.

        The schema's own properties win over spread ones of the same name; an earlier spread
        wins over a later one, as in the Apifox editor, which refuses duplicate names.
        """
        refs: dict[str, Any] = node.pop("x-apifox-refs")
        own = as_dict(node.get("properties"))
        orders = [
            key for key in node.get("x-apifox-orders") or [] if isinstance(key, str)
        ]
        orders += [key for key in list(own) + list(refs) if key not in orders]
        required = [
            name for name in node.get("required") or [] if isinstance(name, str)
        ]
        properties: dict[str, Any] = {}
        for key in orders:
            if key in own:
                properties.setdefault(key, own[key])
            elif isinstance(refs.get(key), dict):
                spread, spread_required = self._spread(refs[key])
                for name, schema in spread.items():
                    if name not in own and name not in properties:
                        properties[name] = schema
                required += [
                    name
                    for name in spread_required
                    if name in spread and name not in required
                ]
        node["properties"] = properties
        node["x-apifox-orders"] = list(properties)
        if required:
            node["required"] = required
        node.setdefault("type", "object")
        return node

    def _spread(self, entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        ref = entry.get("$ref")
        name = self.resolve(ref) if isinstance(ref, str) else None
        if name is None:
            if ref is not None:
                self.report.warn(
                    self.file,
                    self.line,
                    f"x-apifox-refs entry {ref!r} points at no schema of this file; left out",
                    self.where,
                )
            return {}, []
        model = self._follow(name)
        properties = dict(model.get("properties") or {})
        orders = [
            key for key in model.get("x-apifox-orders") or [] if key in properties
        ]
        properties = {
            key: properties[key]
            for key in orders + [key for key in properties if key not in orders]
        }
        for prop, override in (entry.get("x-apifox-overrides") or {}).items():
            if override is None:  # null = the property is removed here
                properties.pop(prop, None)
            else:
                properties[prop] = self._fix(override)
        required = (
            entry["required"]
            if isinstance(entry.get("required"), list)
            else model.get("required") or []
        )
        return properties, [name for name in required if name in properties]

    def _follow(self, name: str) -> dict[str, Any]:
        """The model, through a chain of bare refs (A is just {$ref: B})."""
        seen = {name}
        model = self.model(name)
        while isinstance(model.get("$ref"), str) and not model.get("properties"):
            target = self.resolve(model["$ref"])
            if target is None or target in seen:
                break
            seen.add(target)
            model = self.model(target)
        return model


def _exclusive_bounds(node: dict[str, Any]) -> None:
    """OpenAPI 3.0 (JSON Schema draft 4) `exclusiveMinimum: true` beside `minimum: m` ->
    JSON Schema's `exclusiveMinimum: m` (and the same for the maximum); `false` says nothing.
    """
    for exclusive, bound in (
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ):
        flag = node.get(exclusive)
        if not isinstance(flag, bool):
            continue
        del node[exclusive]
        if flag and isinstance(node.get(bound), (int, float)):
            node[exclusive] = node.pop(bound)


def _nullable_to_type_list(node: dict[str, Any]) -> None:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema `type: [t, "null"]` (or anyOf for a bare ref)."""
    if "nullable" not in node:
        return
    nullable = node.pop("nullable")
    if nullable is not True:
        return
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
    elif isinstance(kind, list):
        if "null" not in kind:
            node["type"] = [*kind, "null"]
    elif "$ref" in node:
        # siblings of a $ref are ignored by OpenAPI 3.0 tools: wrap the ref instead
        node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]
        return
    elif _nullable_composition(node) or not isinstance(node.get("enum"), list):
        return
    if isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]


def _nullable_composition(node: dict[str, Any]) -> bool:
    """`nullable: true` beside `oneOf`/`anyOf`/`allOf` and no `type` (as the tools read it,
    Schemathesis and openapi-python-client among them): null becomes one more branch."""
    for key in ("oneOf", "anyOf"):
        branches = node.get(key)
        if isinstance(branches, list) and "allOf" not in node:
            if {"type": "null"} not in branches:
                node[key] = [*branches, {"type": "null"}]
            return True
    parts = node.get("allOf")
    if isinstance(parts, list) and "anyOf" not in node and "oneOf" not in node:
        del node["allOf"]
        whole = parts[0] if len(parts) == 1 else {"allOf": parts}
        node["anyOf"] = [whole, {"type": "null"}]
        return True
    return False


def _drop_leftovers(node: dict[str, Any]) -> None:
    """Unfinished Apifox edits: a ULID-named `x-tmp-pending-properties` property, ULIDs in
    `x-apifox-orders` naming no property (O-k8s). A name in `required` stays: JSON Schema
    requires it whether `properties` defines it or not (normalize gives it a schema)."""
    properties = node.get("properties")
    if isinstance(properties, dict):
        pending = [
            name
            for name, sub in properties.items()
            if isinstance(sub, dict) and sub.get("x-tmp-pending-properties")
        ]
        if pending:
            node["properties"] = {
                name: sub for name, sub in properties.items() if name not in pending
            }
        properties = node["properties"]
    else:
        properties = {}
    for key in ("x-apifox-orders",):
        if isinstance(node.get(key), list):
            node[key] = [
                name
                for name in node[key]
                if not (
                    isinstance(name, str)
                    and ULID.match(name)
                    and name not in properties
                )
            ]


# -- URLs and paths ------------------------------------------------------------------------------

_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)(.*)$", re.S)
_VARIABLE_BASE = re.compile(r"^(\{\{[^}]+\}\})(.*)$", re.S)
_HOST = re.compile(
    r"^(localhost|\d{1,3}(\.\d{1,3}){3}|([A-Za-z0-9-]+\.)+[A-Za-z]{2,})(:\d+)?$"
)


def split_url(raw: str) -> tuple[str | None, str]:
    """(base URL or None, path starting with "/") from what Apifox stores as a path.

    `http://127.0.0.1:28080//tokens` -> ("http://127.0.0.1:28080", "/tokens");
    `echo.apipost.cn/get.php` (a host without scheme) -> ("http://echo.apipost.cn", "/get.php");
    `{{baseUrl}}/x` -> ("{{baseUrl}}", "/x"); `swaggertest` -> (None, "/swaggertest").
    A query string or fragment is not part of the path and is cut off."""
    text = raw.strip()
    base: str | None = None
    rest = text
    absolute = _ABSOLUTE.match(text) or _VARIABLE_BASE.match(text)
    if absolute:
        base, rest = absolute.group(1), absolute.group(2)
    elif not text.startswith("/"):
        first, _, remainder = text.partition("/")
        if _HOST.match(first):
            base, rest = "http://" + first, "/" + remainder
    rest = re.split(r"[?#]", rest, maxsplit=1)[0]
    rest = "/" + rest.lstrip("/")  # also turns "//tokens" into "/tokens"
    return base, rest


# -- YAML ----------------------------------------------------------------------------------------

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# A status code (or range, or `default`) given twice in one mapping: the second silently
# replaces the first in every parser, so the client would differ from what the author sees.
STATUS_KEY = re.compile(r"^\s*(?:[1-5](?:\d\d|XX|xx)|default)\s*$")


class YamlLoader(_BaseLoader):  # type: ignore[misc]
    """Safe loading with JSON's data model, as OpenAPI means it: only true/false are booleans
    (YAML 1.1 would turn a property named `on` or `no` into one) and dates stay strings.
    A status-code key given twice in one mapping is an error at its line.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                key = str(getattr(key_node, "value", ""))
                if key in seen and STATUS_KEY.match(key):
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found the response key {key!r} twice",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


YamlLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


# -- values --------------------------------------------------------------------------------------

UNSET = object()


def json_text(value: Any) -> Any:
    """A JSON string parsed; other text kept as it is; "" and None give UNSET (no example)."""
    if value is None:
        return UNSET
    if not isinstance(value, str):
        return value
    if not value.strip():
        return UNSET
    try:
        return guard.json_loads(value)
    except (
        ValueError
    ):  # not JSON, or JSON this generator refuses (guard.UnsafeData): text
        return value


def plain_data(value: Any) -> Any:
    """YAML data made JSON-like: dates as ISO strings, every mapping key a string."""
    if isinstance(value, dict):
        return {
            str(key) if not isinstance(key, bool) else str(key).lower(): plain_data(
                item
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def load_json(
    text: str,
    file: str,
    expected: str,
    line_offset: int = 0,
    report: Report | None = None,
) -> Any:
    """Parsed JSON, or a SpecError naming the line and column of the first syntax error, or
    the line and pointer of a value the guard refuses (`line_offset`: lines before `text`).
    Any other name given twice in one object is a warning in `report` (RFC 8259: names
    SHOULD be unique; this reader keeps the last).
    """
    twice: list[str] = []
    repeated: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        if len(set(keys)) < len(keys):
            repeated.append(True)
            twice.extend(
                key
                for index, key in enumerate(keys)
                if key in keys[:index] and STATUS_KEY.match(key)
            )
        return dict(items)

    try:
        data = guard.json_loads(text, pairs)
        if twice:
            # A status code given twice: json.loads keeps the last, silently another API.
            key = twice[0]
            found = [
                m.start()
                for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)
            ]
            line = text.count("\n", 0, found[1]) + 1 if len(found) > 1 else None
            raise fail(
                file,
                None if line is None else line_offset + line,
                f"the response key {key!r} is given twice in one object; expected each status code once",
            )
        if repeated and report is not None:
            for line, pointer, name, first in guard.json_duplicates(text):
                report.warn(
                    file,
                    line_offset + line,
                    f"the name {name!r} is given twice in one object (first at line "
                    f"{line_offset + first}); the last one is used (RFC 8259: the names of an "
                    "object SHOULD be unique; readers disagree on which one counts)",
                    pointer,
                )
        return data
    except json.JSONDecodeError as exc:
        raise fail(
            file,
            line_offset + exc.lineno,
            f"invalid JSON ({exc.msg}, column {exc.colno}); expected {expected}",
        ) from None
    except guard.UnsafeData as exc:
        line = exc.line_in(text)
        raise fail(
            file,
            None if line is None else line_offset + line,
            exc.message,
            exc.pointer,
        ) from None
