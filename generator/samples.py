"""Values built from a schema: a valid request when the docs have no usable example, what the
mock answers, and the invalid values the contract tests send to prove each constraint holds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import jsonschema
from referencing import Registry

from generator.normalize import DEFS_REF

BAD_ENUM_VALUE = "not-a-documented-value"
FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "binary": "x",  # not empty: a query value may not be (OpenAPI allowEmptyValue: false)
}


# An empty registry: jsonschema resolves only what the schema holds and never fetches.
NO_RETRIEVAL: Registry[Any] = Registry()


def _matcher(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    def matches(value: object) -> bool:
        return not isinstance(value, str) or bool(pattern.match(value))

    return matches


def _checker() -> jsonschema.FormatChecker:
    """The formats a value is checked against, the same on every machine: jsonschema's own
    checkers depend on which optional packages are installed, so a fixed set is taken, and
    `date-time`/`time` are checked as RFC 3339 writes them (with the offset), as strict
    validators (Schemathesis, Prism) do."""
    checker = jsonschema.FormatChecker(formats=())
    stdlib_only = ("date", "email", "idn-email", "ipv4", "ipv6", "regex", "uuid")
    for name in stdlib_only:
        known = jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers.get(name)
        if known is not None:
            checker.checkers[name] = known
    for name, pattern in RFC3339.items():
        checker.checkers[name] = (_matcher(pattern), ())
    return checker


def validator(schema: Any, defs: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator that resolves the registry's `#/$defs/<Model>` references."""
    root = {**schema, "$defs": defs} if isinstance(schema, dict) else schema
    # Formats are checked too: the client's models refuse "" for a uuid or a date. An empty
    # registry: a ref that is not local fails to resolve instead of being fetched.
    return jsonschema.Draft202012Validator(
        root,
        format_checker=FORMAT_CHECKER,
        registry=NO_RETRIEVAL,
    )


def is_valid(value: Any, schema: Any, defs: dict[str, Any]) -> bool:
    try:
        return bool(validator(schema, defs).is_valid(value))
    except (
        jsonschema.exceptions.SchemaError,
        jsonschema.exceptions._WrappedReferencingError,  # type: ignore[attr-defined]
        RecursionError,
    ):
        return False


def _write_only_forbidden(schema: Any) -> Any:
    """A copy of `schema` as an answer must satisfy it: each `writeOnly` property forbidden
    and out of `required` (OpenAPI 3.x: it "SHOULD NOT be sent as part of the response", and
    its `required` "will take effect on the request only")."""
    if isinstance(schema, list):
        return [_write_only_forbidden(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: (
                    False
                    if isinstance(sub, dict) and sub.get("writeOnly") is True
                    else _write_only_forbidden(sub)
                )
                for name, sub in value.items()
            }
        elif key in ("default", "enum", "const", "example", "examples"):
            out[key] = value
        else:
            out[key] = _write_only_forbidden(value)
    properties, required = out.get("properties"), out.get("required")
    if isinstance(properties, dict) and isinstance(required, list):
        out["required"] = [
            name for name in required if properties.get(name) is not False
        ]
    return out


# The last registry's shared models and their answer view (one registry is built at a time).
_ANSWER_DEFS: list[tuple[dict[str, Any], dict[str, Any]]] = []


def answer_schema(schema: Any, defs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(schema, defs) as an answer must satisfy them: no `writeOnly` property. The shared
    models' copy is made once per registry."""
    if not _ANSWER_DEFS or _ANSWER_DEFS[0][0] is not defs:
        view = (
            {name: _write_only_forbidden(model) for name, model in defs.items()}
            if _WRITE_ONLY in json.dumps(defs)
            else defs
        )
        _ANSWER_DEFS[:] = [(defs, view)]
    if _WRITE_ONLY in json.dumps(schema):
        schema = _write_only_forbidden(schema)
    return schema, _ANSWER_DEFS[0][1]


_WRITE_ONLY = '"writeOnly": true'


def first_valid(
    examples: list[Any], schema: Any, defs: dict[str, Any]
) -> tuple[bool, Any]:
    for example in examples:
        if is_valid(example, schema, defs):
            return True, example
    return False, None


def build(
    schema: Any,
    defs: dict[str, Any],
    required_only: bool = False,
    name: str = "",
    depth: int = 0,
) -> Any:
    """A small value meant to satisfy `schema` (check it with `is_valid`; `valid_value` does)."""
    if not isinstance(schema, dict) or depth > 12:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(DEFS_REF):
        target = defs.get(ref[len(DEFS_REF) :], {})
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if siblings and isinstance(target, dict):
            target = {"allOf": [target, siblings]}
        return build(target, defs, required_only, name, depth + 1)
    for key in ("const", "default"):
        if key in schema and _fits_type(schema[key], schema):
            return schema[key]
    if schema.get("enum"):
        return next(
            (v for v in schema["enum"] if _fits_type(v, schema)), schema["enum"][0]
        )
    if (
        isinstance(schema.get("examples"), list)
        and schema["examples"]
        and is_valid(schema["examples"][0], schema, defs)
    ):
        return schema["examples"][0]
    if "example" in schema and is_valid(schema["example"], schema, defs):
        return schema["example"]
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        merged = merge_all_of(schema, defs)
        return build(merged, defs, required_only, name, depth + 1)
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            rest = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
            return _branch_value(
                schema, key, branches, rest, defs, required_only, name, depth
            )
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        required_only = required_only or depth >= 4  # recursive models: stop growing
        return {
            key: build(sub, defs, required_only, key, depth + 1)
            for key, sub in (schema.get("properties") or {}).items()
            if isinstance(sub, dict) and (key in required or not required_only)
            # a writeOnly field is never in an answer (optional ones are left out of requests)
            and (key in required or not sub.get("writeOnly"))
        }
    if kind == "array":
        if depth >= 4 and not schema.get("minItems"):
            return []  # recursive models end here
        count = max(
            int(schema.get("minItems", 1)), 1
        )  # an empty list would be "not sent" in a query
        return [
            build(schema.get("items"), defs, required_only, name, depth + 1)
            for _ in range(count)
        ]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema, name)
    return (
        "x" if kind is None else None
    )  # `{}` takes anything; a value must still be sent


RFC3339 = {
    "date-time": re.compile(
        r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
    ),
    "time": re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"),
}


FORMAT_CHECKER = _checker()


JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int, float),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _fits_type(value: Any, schema: dict[str, Any]) -> bool:
    """A cheap check of the declared `type` only (a default of 1 for a string does not fit)."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if not kinds:
        return True
    for one in kinds:
        if isinstance(value, bool) and one not in ("boolean",):
            continue
        if isinstance(value, JSON_TYPES.get(str(one), ())):
            return (
                one != "integer"
                or isinstance(value, int)
                or (isinstance(value, float) and value.is_integer())
            )
    return False


def merge_all_of(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """One schema with the properties and `required` of every `allOf` part (refs resolved)."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[str] = list(merged.get("required") or [])
    for part in schema["allOf"]:
        seen: set[str] = set()
        while isinstance(part, dict) and isinstance(part.get("$ref"), str):
            ref = part["$ref"]
            if ref in seen or not ref.startswith(DEFS_REF):
                break
            seen.add(ref)
            siblings = {k: v for k, v in part.items() if k != "$ref"}
            part = {**defs.get(ref[len(DEFS_REF) :], {}), **siblings}
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("allOf"), list):
            part = merge_all_of(part, defs)
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                properties.update(value)
            elif key == "required" and isinstance(value, list):
                required += [r for r in value if r not in required]
            elif key not in merged:
                merged[key] = value
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


def _branch_value(
    schema: dict[str, Any],
    key: str,
    branches: list[Any],
    rest: dict[str, Any],
    defs: dict[str, Any],
    required_only: bool,
    name: str,
    depth: int,
) -> Any:
    """The first branch (non-null first) whose value satisfies the whole schema; a
    discriminator's property names the branch it picked."""
    ordered = sorted(
        (b for b in branches if isinstance(b, dict)),
        key=lambda b: b.get("type") == "null",
    )
    discriminator = schema.get("discriminator")
    first: Any = None
    for index, branch in enumerate(ordered):
        part = {"allOf": [branch, rest]} if rest.get("properties") else branch
        value = build(part, defs, required_only, name, depth + 1)
        if isinstance(discriminator, dict) and isinstance(value, dict):
            tag = _discriminator_tag(discriminator, branch)
            if tag is not None:
                value[discriminator["propertyName"]] = tag
        if index == 0:
            first = value
        if is_valid(value, schema, defs):
            return value
    return first


def _discriminator_tag(discriminator: dict[str, Any], branch: dict[str, Any]) -> Any:
    ref = branch.get("$ref")
    if not isinstance(ref, str) or not isinstance(
        discriminator.get("propertyName"), str
    ):
        return None
    target = ref.rsplit("/", 1)[-1]
    for tag, mapped in (discriminator.get("mapping") or {}).items():
        if isinstance(mapped, str) and mapped.rsplit("/", 1)[-1] == target:
            return tag
    return target  # without a mapping the tag is the schema's name


def valid_value(
    schema: Any, defs: dict[str, Any], name: str = "", required_only: bool = False
) -> tuple[bool, Any]:
    """(True, a value that satisfies `schema`), from the builder or else generated by
    hypothesis-jsonschema; (False, the builder's best try) when neither finds one."""
    value = build(schema, defs, required_only, name)
    if is_valid(value, schema, defs):
        return True, value
    if not required_only:  # an optional field that cannot be built is better left out
        smaller = build(schema, defs, True, name)
        if is_valid(smaller, schema, defs):
            return True, smaller
    found, whole = generated(schema, defs, value)
    return (True, whole) if found else _repaired(value, schema, defs)


def _repaired(value: Any, schema: Any, defs: dict[str, Any]) -> tuple[bool, Any]:
    """Replace the deepest wrong part with a generated one, a few times (a recursive model
    cannot be generated whole, but its wrong field usually can)."""
    try:
        check = validator(schema, defs)
        for _ in range(8):
            errors = list(check.iter_errors(value))
            if not errors:
                return True, value
            error = max(errors, key=lambda e: len(e.absolute_path))
            found, part = generated(error.schema, defs, None)
            if not found:
                break
            value = _put(value, list(error.absolute_path), part)
    except (jsonschema.exceptions.SchemaError, RecursionError):
        pass
    return False, value


def _put(value: Any, path: list[Any], part: Any) -> Any:
    if not path:
        return part
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _put(value.get(head), rest, part)}
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        return [_put(v, rest, part) if i == head else v for i, v in enumerate(value)]
    return value


def generated(schema: Any, defs: dict[str, Any], fallback: Any) -> tuple[bool, Any]:
    """The smallest value hypothesis-jsonschema finds for `schema`, deterministically (no
    database, derandomized); recursive or unsatisfiable schemas give (False, fallback).
    """
    reachable = _reachable(schema, defs)
    if _recursive(reachable):
        return (
            False,
            fallback,
        )  # hypothesis-jsonschema cannot resolve recursive references
    key = json.dumps([schema, reachable], sort_keys=True, default=str)
    if len(key) > GENERATED_MAX_SCHEMA:
        # hypothesis-jsonschema's canonicalisation can take minutes on a large model; the
        # repair loop regenerates only its wrong parts, which are small
        return False, fallback
    if key not in _GENERATED:
        _GENERATED[key] = _generate(schema, reachable)
    found = _GENERATED[key]
    return (True, found[0]) if found else (False, fallback)


_GENERATED: dict[str, tuple[Any, ...]] = {}


class _Found(Exception):
    pass


def _generate(schema: Any, defs: dict[str, Any]) -> tuple[Any, ...]:
    """The first valid value among a few generated deterministically (no shrinking: bounded)."""
    import warnings

    import hypothesis
    import hypothesis_jsonschema

    root = {**schema, "$defs": defs} if isinstance(schema, dict) else schema
    found: list[Any] = []

    def probe(value: Any) -> None:
        if is_valid(value, schema, defs):
            found.append(value)
            raise _Found

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            strategy = hypothesis_jsonschema.from_schema(root)
            test = hypothesis.settings(
                database=None,
                derandomize=True,
                max_examples=GENERATED_TRIES,
                phases=[hypothesis.Phase.generate],
                deadline=None,
                suppress_health_check=list(hypothesis.HealthCheck),
                report_multiple_bugs=False,
            )(hypothesis.given(strategy)(probe))
            test()
    except _Found:
        pass
    except Exception:  # recursive refs, unsatisfiable or unsupported schemas: no value
        pass
    return (found[0],) if found else ()


GENERATED_TRIES = 25
GENERATED_MAX_SCHEMA = (
    3000  # characters of JSON: the schema and the shared schemas it uses
)


def _reachable(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The shared schemas `schema` refers to, directly or through each other."""
    found: dict[str, Any] = {}
    pending = [schema]
    while pending:
        text = json.dumps(pending.pop(), default=str, ensure_ascii=False)
        for name in _REF.findall(text):
            if name not in found and name in defs:
                found[name] = defs[name]
                pending.append(defs[name])
    return found


def _recursive(defs: dict[str, Any]) -> bool:
    """Whether any of these shared schemas refers back to itself."""
    edges = {
        name: set(_REF.findall(json.dumps(schema, default=str, ensure_ascii=False)))
        for name, schema in defs.items()
    }
    for start in edges:
        pending, seen = list(edges[start]), set()
        while pending:
            name = pending.pop()
            if name == start:
                return True
            if name not in seen:
                seen.add(name)
                pending.extend(edges.get(name, ()))
    return False


_REF = re.compile(r'"\$ref": "#/\$defs/([^"]+)"')


def _number(schema: dict[str, Any], kind: str) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 1))
    if "exclusiveMinimum" in schema:
        low = low + 1 if kind == "integer" else low + 0.5
    value: int | float = math.ceil(low) if kind == "integer" else low
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0:
        # the least multiple at or above the bound (past it when the bound is exclusive)
        least = math.ceil(value / step) * step
        if "exclusiveMinimum" in schema and least <= schema["exclusiveMinimum"]:
            least += step
        value = int(least) if kind == "integer" or float(least).is_integer() else least
    high = schema.get("maximum")
    if high is not None and value > high:
        value = high
    return value


def _string(schema: dict[str, Any], name: str) -> str:
    types = schema.get("x-file-types")
    if types:
        return f"https://example.com/input.{types[0]}"
    if schema.get("format") in FORMATS:
        return FORMATS[schema["format"]]
    if schema.get("pattern"):
        # the shortest text the pattern matches; "" when it cannot be built (a lookaround, a
        # back-reference): the contract test then says so
        return pattern_text(schema["pattern"], int(schema.get("minLength", 0)))
    length = int(schema.get("minLength", 1))
    text = "https://example.com/x" if name.endswith("url") else "x"
    return (
        (text * length)[: max(length, len(text))]
        if schema.get("maxLength") is None
        else "x" * max(length, 1)
    )


def negative_cases(schema: dict[str, Any], required: list[str]) -> list[dict[str, Any]]:
    """One invalid value per constraint: {field, constraint, value} (None means "left out")."""
    cases: list[dict[str, Any]] = [
        {"field": name, "constraint": "required", "value": None} for name in required
    ]
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        kind = prop.get("type")
        integer = kind == "integer"
        if kind in ("integer", "number") and isinstance(
            prop.get("minimum"), (int, float)
        ):
            low = prop["minimum"]
            cases.append(
                {
                    "field": name,
                    "constraint": "minimum",
                    "value": low - 1 if integer else math.nextafter(low, -math.inf),
                }
            )
        if kind in ("integer", "number") and isinstance(
            prop.get("maximum"), (int, float)
        ):
            high = prop["maximum"]
            cases.append(
                {
                    "field": name,
                    "constraint": "maximum",
                    "value": high + 1 if integer else math.nextafter(high, math.inf),
                }
            )
        for exclusive in ("exclusiveMinimum", "exclusiveMaximum") * (
            kind in ("integer", "number")
        ):
            bound = prop.get(exclusive)
            if type(bound) is int or (type(bound) is float and kind == "number"):
                # the bound itself is just outside
                cases.append({"field": name, "constraint": exclusive, "value": bound})
        if (
            prop.get("enum")
            and all(isinstance(v, str) for v in prop["enum"])
            and BAD_ENUM_VALUE not in prop["enum"]
        ):
            cases.append({"field": name, "constraint": "enum", "value": BAD_ENUM_VALUE})
    return cases


def pattern_text(pattern: str, min_length: int = 0) -> str:
    """A short text a regular expression (ECMA 262 as JSON Schema uses it, read by Python's
    own parser) matches, at least `min_length` long when the pattern allows; "" when the
    pattern is beyond what is built here."""
    import importlib

    try:
        parser: Any = importlib.import_module(
            "re._parser" if hasattr(re, "_parser") else "sre_parse"
        )
        text = _from_tree(parser, parser.parse(pattern), min_length)
        compiled = re.compile(pattern)
    except (re.error, ValueError, RecursionError, OverflowError):
        return ""
    return text if compiled.search(text) else ""


def _from_tree(parser: Any, tree: Any, want: int) -> str:
    constants = parser  # the opcodes are exported by the parser module
    out: list[str] = []
    for op, arg in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("x" if chr(arg) != "x" else "y")
        elif name == "ANY":
            out.append("x")
        elif name == "IN":
            out.append(_from_set(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = low
            if high is constants.MAXREPEAT or high > low:
                piece = _from_tree(parser, sub, 0) or "x"
                missing = want - len("".join(out))
                count = max(
                    low, min(high, -(-missing // len(piece))) if missing > 0 else low
                )
            out.extend(_from_tree(parser, sub, 0) for _ in range(count))
        elif name == "SUBPATTERN":
            out.append(_from_tree(parser, arg[-1], 0))
        elif name == "BRANCH":
            out.append(_from_tree(parser, arg[1][0], 0))
        elif name == "AT":
            continue
        elif name in ("CATEGORY",):
            out.append(_from_set([(op, arg)]))
        else:
            raise ValueError(f"cannot build {name}")
    return "".join(out)


def _from_set(items: Any) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    for op, arg in items:
        name = str(op)
        if negate:
            continue
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return {
                "CATEGORY_DIGIT": "0",
                "CATEGORY_SPACE": " ",
                "CATEGORY_WORD": "a",
            }.get(str(arg), "x")
    if negate:
        excluded = {chr(arg) for op, arg in items if str(op) == "LITERAL"}
        return next(c for c in "xyz0" if c not in excluded)
    raise ValueError("an empty character set")
