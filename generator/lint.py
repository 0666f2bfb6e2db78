"""`specgen lint`: smells in the API docs, each with a rule id, a level and where it is.

Lint reads the registry (`Registry` -> `list[Finding]`: the specs as the generator understood
them, lifted prose constraints included) and the warnings the build recorded. Levels are the defaults; `[tool.specgen.lint]`
can change them or ignore rules, also per endpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema

from generator import prose
from generator.findings import Finding, Locator, Place, ordered, view
from generator.registry_types import (
    Endpoint,
    Registry,
    RegistryWarning,
    Response,
    Schema,
)
from generator.samples import NO_RETRIEVAL

RULES: dict[str, str] = {
    "duplicate-endpoint": "error",
    "example-violates-schema": "error",
    "type-contradicted-by-example": "error",
    "default-out-of-range": "error",
    "enum-suspicious-value": "warning",
    "prose-not-lifted": "warning",
    "prose-not-declared": "warning",
    "prose-conflict": "warning",
    "empty-response-schema": "warning",
    "reader-warning": "warning",
    "missing-description": "info",
    "endpoint-missing-description": "info",
}
# How the build's warnings (registry["warnings"]) map onto rules; anything else is reader-warning.
WARNINGS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (
        re.compile(r"^duplicate endpoint "),
        None,
    ),  # lint's own duplicate-endpoint check reports it
    (re.compile(r"the default was not applied"), "default-out-of-range"),
    (re.compile(r"the description says .* but the schema declares"), "prose-conflict"),
    (re.compile(r" not applied: "), "prose-not-lifted"),
)
# A number standing on its own ("1 表示最严格"), not part of a word ("base64", "landscape_4_3").
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?![A-Za-z0-9_])")


def lint(registry: Registry, locator: Locator) -> list[Finding]:
    """Registry (and where its endpoints came from) -> findings."""
    linter = _Linter(locator, registry.get("schemas") or {})
    linter.warnings(registry)
    seen: dict[tuple[str, str], Endpoint] = {}
    for endpoint in registry.get("endpoints", []):
        first = seen.setdefault((endpoint["method"], endpoint["path"]), endpoint)
        if first is not endpoint:
            at = first.get("source") or {}
            message = f"{endpoint['method']} {endpoint['path']} is also defined at {at.get('file')}:{at.get('line')}"
            linter.add("duplicate-endpoint", endpoint, message)
        linter.endpoint(endpoint)
    return ordered(linter.findings)


class _Linter:
    def __init__(self, locator: Locator, defs: dict[str, Schema]) -> None:
        self.locator, self.defs = locator, defs
        self.findings: list[Finding] = []
        self.warned: set[tuple[str, str]] = (
            set()
        )  # (endpoint, field) the build already warned about

    def add(
        self,
        rule: str,
        endpoint: Endpoint,
        message: str,
        field: str = "",
        section: str = "",
        pointer: str = "",
    ) -> None:
        self.append(
            rule,
            endpoint,
            message,
            field,
            self.locator.place(endpoint, pointer, section, field),
        )

    def append(
        self,
        rule: str,
        endpoint: Endpoint | None,
        message: str,
        field: str,
        place: Place,
    ) -> None:
        self.findings.append(
            Finding(
                rule,
                RULES[rule],
                message,
                endpoint.get("id", "") if endpoint else "",
                field,
                file=place.file,
                line=place.line,
                pointer=place.pointer,
                column=place.column,
            )
        )

    def warnings(self, registry: Registry) -> None:
        endpoints = registry.get("endpoints", [])
        for warning in registry.get("warnings", []):
            message = warning.get("message", "")
            rule = next(
                (rule for pattern, rule in WARNINGS if pattern.search(message)),
                "reader-warning",
            )
            if rule is None:
                continue
            file, line = warning.get("file", ""), warning.get("line")
            pointer = warning.get("pointer", "")
            endpoint = _endpoint_at(endpoints, file, line, pointer)
            named = re.match(r"field '([^']+)'", message)
            field = named.group(1) if named else ""
            parameter = re.search(
                r"/parameters/(path|query|header|cookie)/([^/]+)$", pointer
            )
            if named and parameter:  # a parameter's field, as lint names it
                field = f"{parameter.group(1)}:{_untoken(parameter.group(2))}"
            if endpoint is not None:
                self.warned.add((endpoint["id"], field))
            self.append(rule, endpoint, message, field, self.place(endpoint, warning))

    def place(self, endpoint: Endpoint | None, warning: RegistryWarning) -> Place:
        """Where a build warning is: a pointer into the file (readers say where in the file),
        else one into its endpoint (normalize says where in the endpoint), else its line.
        """
        file, line = warning.get("file", ""), warning.get("line")
        pointer = warning.get("pointer", "")
        if pointer.startswith("/"):
            found = self.locator.place_pointer(file, pointer)
            if found is not None:
                return found
            source = endpoint.get("source") if endpoint else None
            base = str(source.get("pointer") or "") if source else ""
            inside = pointer[len(base) :] if base else ""
            if endpoint is not None and pointer.startswith(base + "/") and inside:
                place = self.locator.place(endpoint, inside)
                if place.column is not None:
                    return place
        return Place(file, line, None, pointer)

    def endpoint(self, endpoint: Endpoint) -> None:
        if not str(endpoint.get("description") or "").strip():
            self.add(
                "endpoint-missing-description",
                endpoint,
                "the endpoint has no description (说明 is empty)",
            )
        for param in endpoint.get("parameters") or []:
            field, pointer = (
                f"{param['in']}:{param['name']}",
                f"/parameters/{param['in']}/{_token(str(param['name']))}",
            )
            schema = (
                param.get("schema") if isinstance(param.get("schema"), dict) else {}
            )
            if not (param.get("description") or schema.get("description")):
                self.add(
                    "missing-description",
                    endpoint,
                    f"{param['in']} parameter {param['name']!r} has no description",
                    field,
                    "parameter",
                    pointer,
                )
            self.field(endpoint, schema, field, pointer, "parameter", describe=False)
            # A parameter's example is what the contract tests would send: it must fit (the
            # tests use a generated valid value instead, and this says the docs are wrong).
            shown = [schema["example"]] if "example" in schema else []
            if isinstance(schema.get("examples"), list):
                shown += schema["examples"]
            bare = {k: v for k, v in schema.items() if k not in ("example", "examples")}
            for number, example in enumerate(shown):
                self.example(
                    endpoint,
                    bare,
                    example,
                    f"parameter {param['name']!r} example {number + 1}",
                    f"{pointer}/example",
                    "parameter",
                )
        request = endpoint.get("request")
        if request:
            schema = request.get("schema") or {}
            for field, pointer, prop in _walk(
                schema, "", "/requestBody/jsonSchema", self.defs
            ):
                self.field(endpoint, prop, field, pointer, "request")
            for index, example in enumerate(request.get("examples") or []):
                self.example(
                    endpoint,
                    schema,
                    example,
                    f"request example {index + 1}",
                    f"/requestBody/examples/{index}/value",
                    "request",
                )
        for index, response in enumerate(endpoint.get("responses") or []):
            self.response(endpoint, index, response)

    def field(
        self,
        endpoint: Endpoint,
        prop: dict[str, Any],
        field: str,
        pointer: str,
        section: str,
        describe: bool = True,
    ) -> None:
        what = (
            f"field {field!r}"
            if section == "request"
            else f"parameter {field.split(':', 1)[-1]!r}"
        )
        if describe and not str(prop.get("description") or "").strip():
            self.add(
                "missing-description",
                endpoint,
                f"{what} has no description",
                field,
                section,
                pointer,
            )
        for problem in _enum_problems(prop.get("enum")):
            self.add(
                "enum-suspicious-value",
                endpoint,
                f"{what}: enum value {problem}",
                field,
                section,
                pointer,
            )
        if "default" in prop:
            rest = {k: v for k, v in prop.items() if k not in ("default", "examples")}
            for error in _errors(rest, prop["default"], self.defs):
                self.add(
                    "default-out-of-range",
                    endpoint,
                    f"{what}: default {json.dumps(prop['default'], ensure_ascii=False)} "
                    f"breaks the field's own schema: {error.message}",
                    field,
                    section,
                    pointer,
                )
        if (endpoint["id"], field) in self.warned:
            return  # the build said what is wrong with this field's prose
        undeclared, read = _undeclared(prop)
        for lifted, value in undeclared:
            shown = json.dumps(value, ensure_ascii=False)
            self.add(
                "prose-not-declared",
                endpoint,
                f"{what}: the description states {lifted.keyword} {shown} ({lifted.text!r}), "
                f'which the schema does not declare, so nothing enforces it: declare "{lifted.keyword}": '
                f"{shown} if the API does",
                field,
                section,
                pointer,
            )
        numbers = _unlifted_numbers(prop, read)
        if numbers:
            self.add(
                "prose-not-lifted",
                endpoint,
                f"{what}: the description mentions {', '.join(numbers)} but no range or enum "
                f"was lifted from it: {_remaining_prose(prop, read)!r}",
                field,
                section,
                pointer,
            )

    def example(
        self,
        endpoint: Endpoint,
        schema: dict[str, Any],
        example: Any,
        name: str,
        pointer: str,
        section: str,
    ) -> None:
        for error in _errors(schema, example, self.defs):
            path = list(error.absolute_path)
            field = _field_path(path)
            here = pointer + "".join(f"/{p}" for p in path)
            value = json.dumps(error.instance, ensure_ascii=False)
            if error.validator == "type":
                message = f"{name} gives {field or 'the body'} = {value}, but the declared type is {error.validator_value}"
                self.add(
                    "type-contradicted-by-example",
                    endpoint,
                    message,
                    field,
                    section,
                    here,
                )
            else:
                message = f"{name} breaks the schema at {field or 'the top level'}: {error.message}"
                self.add(
                    "example-violates-schema", endpoint, message, field, section, here
                )

    def response(self, endpoint: Endpoint, index: int, response: Response) -> None:
        code, examples = response.get("code"), response.get("examples") or []
        schema = response.get("schema") or {}
        pointer = f"/responses/{index}/jsonSchema"
        if response.get("schema_inferred_from_examples"):
            message = f"response {code} declares no schema; the client's model was inferred from {len(examples)} example(s)"
            self.add(
                "empty-response-schema",
                endpoint,
                message,
                section="response",
                pointer=pointer,
            )
            return
        if _is_empty(schema) and not (examples and schema.get("type")):
            # with a documented type, the examples are checked against it (below)
            message = f"response {code} declares no schema and gives no example; the client returns it untyped"
            self.add(
                "empty-response-schema",
                endpoint,
                message,
                section="response",
                pointer=pointer,
            )
            return
        for number, example in enumerate(examples):
            self.example(
                endpoint,
                schema,
                example,
                f"response {code} example {number + 1}",
                f"/responses/{index}/examples/{number}",
                "response",
            )


def _endpoint_at(
    endpoints: list[Endpoint], file: str, line: int | None, pointer: str = ""
) -> Endpoint | None:
    """The endpoint of `file` whose pointer holds `pointer`, else the one that starts last at
    or before `line`."""
    here = [e for e in endpoints if (e.get("source") or {}).get("file") == file]
    holders = [
        e
        for e in here
        if e["source"].get("pointer")
        and (pointer + "/").startswith(e["source"]["pointer"] + "/")
    ]
    if holders:
        return max(holders, key=lambda e: len(e["source"]["pointer"]))
    before = [e for e in here if line is None or e["source"]["line"] <= line]
    return (
        max(before, key=lambda e: e["source"]["line"])
        if before
        else (here[0] if here else None)
    )


def _untoken(token: str) -> str:
    """A pointer token unescaped."""
    return token.replace("~1", "/").replace("~0", "~")


def _token(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _walk(
    schema: Any,
    field: str,
    pointer: str,
    defs: dict[str, Any],
    seen: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(field path, JSON pointer, schema) of every named property, nested ones (`loras[].path`) and
    those of shared models (`$ref`, once per path) too."""
    schema, ref = view(schema, defs)
    if not isinstance(schema, dict) or ref in seen:
        return
    seen = seen | {ref} if ref else seen
    properties = schema.get("properties")
    for name, prop in properties.items() if isinstance(properties, dict) else []:
        if not isinstance(prop, dict):
            continue
        sub = f"{field}.{name}" if field else name
        here = f"{pointer}/properties/{_token(name)}"
        target, _ = view(prop, defs)
        own = {key: value for key, value in prop.items() if key != "$ref"}
        yield sub, here, {**target, **own} if isinstance(target, dict) else prop
        yield from _walk(prop, sub, here, defs, seen)
        items = target.get("items") if isinstance(target, dict) else None
        if isinstance(items, dict):
            yield from _walk(items, f"{sub}[]", f"{here}/items", defs, seen)


def _field_path(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += "[]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _errors(schema: Any, instance: Any, defs: dict[str, Any]) -> list[Any]:
    """jsonschema's errors; shared models are reachable as `#/$defs/<Class>`."""
    if defs and isinstance(schema, dict):
        schema = {**schema, "$defs": {**defs, **(schema.get("$defs") or {})}}
    try:
        validator = jsonschema.Draft202012Validator(schema, registry=NO_RETRIEVAL)
        return sorted(
            validator.iter_errors(instance),
            key=lambda e: [str(p) for p in e.absolute_path],
        )
    except (jsonschema.exceptions.SchemaError, jsonschema.exceptions.UnknownType):
        return []


def _enum_problems(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    problems, seen = [], set()
    for value in values:
        shown = json.dumps(value, ensure_ascii=False)
        key = json.dumps(value, sort_keys=True)
        if key in seen:
            problems.append(f"{shown} is listed twice")
        seen.add(key)
        if not isinstance(value, str):
            continue
        if not value.strip():
            problems.append(f"{shown} is empty")
        elif value != value.strip() or re.search(r"\s", value):
            problems.append(
                f"{shown} contains a space; API values rarely do (a typo for '_'?)"
            )
        elif value.lower() == "default":
            problems.append(
                f"{shown} is probably prose ('the default'), not a value the API takes"
            )
        elif re.search(r"[、，,;；]", value):
            problems.append(
                f"{shown} contains a list separator: the prose list was split wrongly"
            )
    return problems


def _remaining_prose(prop: dict[str, Any], read: tuple[str, ...] = ()) -> str:
    text = str(prop.get("description") or "")
    for snippet in [*(prop.get("x-provenance") or {}).values(), *read]:
        text = text.replace(str(snippet), " ")
    return re.sub(r"\s+", " ", text).strip()


def _unlifted_numbers(prop: dict[str, Any], read: tuple[str, ...] = ()) -> list[str]:
    """Numbers left in the description once the lifted snippets (and those `read`) are taken
    out, when no enum or full range was lifted: a constraint the prose states that the
    generator could not read.
    """
    if prop.get("enum") is not None or ("minimum" in prop and "maximum" in prop):
        return []
    return NUMBER.findall(prose.without_names(_remaining_prose(prop, read)))


def _undeclared(
    prop: dict[str, Any],
) -> tuple[list[tuple[prose.Lifted, Any]], tuple[str, ...]]:
    """What the description states that the schema neither declares nor was given from it:
    where the schema is the contract (OpenAPI) prose is not applied, so this is the schema
    keyword the docs are missing (the generator's own extensions are not suggested). Also the
    snippets read: those, and those of keywords the schema declares itself."""
    declared = prop.get("type") if isinstance(prop.get("type"), str) else None
    found, read = [], []
    for lifted in prose.find(str(prop.get("description") or ""), declared):
        if lifted.keyword in prop:
            read.append(lifted.text)
            continue
        try:
            value = prose.typed(lifted, declared)
        except prose.CoercionError:
            continue
        read.append(lifted.text)
        if not lifted.keyword.startswith("x-"):
            found.append((lifted, value))
    return found, tuple(read)


def _is_empty(schema: dict[str, Any]) -> bool:
    return not schema or (
        schema.get("type") in ("object", None)
        and not schema.get("properties")
        and not any(
            k in schema
            for k in ("$ref", "items", "anyOf", "oneOf", "allOf", "enum", "const")
        )
    )
