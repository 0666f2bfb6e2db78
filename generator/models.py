"""Pydantic v2 models for every request schema, made by datamodel-code-generator in one call.

`Registry` -> the text of the client's models.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from generator import naming, normalize
from generator.diagnostics import fail
from generator.registry_types import Endpoint, Registry, Request, Schema

datamodel_version = version("datamodel-code-generator")


def schemas(registry: Registry) -> dict[str, Schema]:
    """{model name: JSON Schema} for every model the client needs: the shared models, then per
    endpoint its input, parameters, responses and output."""
    found: dict[str, Any] = dict(registry.get("schemas", {}))
    for endpoint in registry["endpoints"]:
        names = endpoint["names"]
        if names["input_model"] and endpoint["request"] is not None:
            found[names["input_model"]] = input_schema(endpoint["request"], found)
        if names["params_model"]:
            found[names["params_model"]] = params_schema(endpoint)
        for response in endpoint["responses"]:
            # a response that is a shared model (a bare $ref) names that model itself
            model = response.get("model")
            if model and model not in registry["schemas"]:
                found[model] = response["schema"]
        output = names["output_model"]
        if endpoint["output_schema"] is not None and output:
            found[output] = endpoint["output_schema"]
    # the models of named request fields and parameters keep to what they name; the others
    # (answers, shared and whole-body models) keep the members their schema does not forbid
    closed = {
        name
        for endpoint in registry["endpoints"]
        for name in (
            endpoint["names"]["params_model"],
            (
                endpoint["names"]["input_model"]
                if endpoint["request"] is not None
                and not endpoint["request"]["body_param"]
                else None
            ),
        )
        if name
    }
    prepared = {
        name: strip_extensions(
            _one_way_optional(
                _inline_defaulted(
                    _flatten_overrides(
                        schema if name in closed else open_objects(schema), found
                    ),
                    found,
                )
            )
        )
        for name, schema in found.items()
    }
    return {name: _components_refs(schema) for name, schema in hoist(prepared).items()}


def _one_way_optional(schema: Any) -> Any:
    """A copy where a required property marked `readOnly` or `writeOnly` is optional: OpenAPI
    3.x makes its `required` "take effect on the response only" (or the request only), and
    one model reads answers and builds requests."""
    return _rebuilt(schema, _required_both_ways)


def _required_both_ways(out: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    properties, required = out.get("properties"), out.get("required")
    if isinstance(properties, dict) and isinstance(required, list):
        one_way = {
            name
            for name, sub in properties.items()
            if isinstance(sub, dict)
            and (sub.get("readOnly") is True or sub.get("writeOnly") is True)
        }
        out["required"] = [name for name in required if name not in one_way]
        if not out["required"]:
            del out["required"]
    return out


def _rebuilt(
    schema: Any, fix: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
) -> Any:
    """A copy of `schema` with `fix(copy, original)` applied to every schema object in it,
    innermost first (data keywords such as `enum` and `example` are copied, not walked).
    """
    if isinstance(schema, list):
        return [_rebuilt(item, fix) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        key: (
            {name: _rebuilt(sub, fix) for name, sub in value.items()}
            if key == "properties" and isinstance(value, dict)
            else value if key in normalize.DATA_KEYWORDS else _rebuilt(value, fix)
        )
        for key, value in schema.items()
    }
    return fix(out, schema)


def hoist(found: dict[str, Any]) -> dict[str, Any]:
    """Inline objects named from their place, as a person would name them, before
    datamodel-code-generator sees them (it would call them `Data`, `Data1`, ...): an object
    field takes the field's name (`images: [{...}]` -> `Image`) when every place with that
    name holds the same schema (they share the one model), else its place's (`data` of
    `GetUserResponse` -> `GetUserResponseData`, the objects of its `items` array
    `GetUserResponseDataItem`; an array model's objects `<Model>Item`). A number is added only
    where two places still give one name."""
    taken = set(found)
    out: dict[str, Any] = {}
    variants: dict[str, set[str]] = {}
    for schema in found.values():
        _walk_places(
            schema, lambda short, sub: variants.setdefault(short, set()).add(_key(sub))
        )
    shared: dict[str, str] = {}  # short name -> class, for the places that agree

    def model(schema: dict[str, Any], name: str) -> dict[str, Any]:
        schema = dict(schema)
        properties = schema.get("properties")
        if isinstance(properties, dict):
            schema["properties"] = {
                prop: place(sub, f"{name}_{_words(prop)}", _words(prop))
                for prop, sub in properties.items()
            }
        items = schema.get("items")
        if schema.get("type") == "array" and isinstance(items, dict):
            schema["items"] = place(items, f"{name}_item", None)
        return schema

    def place(sub: Any, wanted: str, short: str | None) -> Any:
        if _hoistable(sub):
            if (
                short
                and len(variants.get(short, ())) == 1
                and (short in shared or naming.class_name(short, set()) not in taken)
            ):
                if short not in shared:
                    shared[short] = cls = naming.class_name(short, taken)
                    out[cls] = model(sub, cls)
                cls = shared[short]
            else:
                cls = naming.class_name(wanted, taken)
                out[cls] = model(sub, cls)
            ref: dict[str, Any] = {"$ref": normalize.DEFS_REF + cls}
            if isinstance(sub.get("description"), str):
                ref["description"] = sub["description"]
            return ref
        items = sub.get("items") if isinstance(sub, dict) else None
        if isinstance(sub, dict) and sub.get("type") == "array" and _hoistable(items):
            return {
                **sub,
                "items": place(items, _singular(wanted), short and _singular(short)),
            }
        return sub

    for name, schema in found.items():
        out[name] = model(schema, name) if isinstance(schema, dict) else schema
    return out


def _words(name: str) -> str:
    return naming.snake(naming.ascii_words(name)) or "field"


def _key(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False)


def _walk_places(schema: Any, visit: Any, depth: int = 0) -> None:
    """`visit(short name, schema)` for every inline object `hoist` would name by its field."""
    if not isinstance(schema, dict) or depth > 60:
        return
    properties = schema.get("properties")
    for prop, sub in (properties or {}).items() if isinstance(properties, dict) else ():
        short: str | None = _words(prop)
        while (
            isinstance(sub, dict)
            and sub.get("type") == "array"
            and _hoistable(sub.get("items"))
        ):
            sub, short = sub["items"], _singular(short) if short else None
        if _hoistable(sub) and short:
            visit(short, sub)
        _walk_places(sub, visit, depth + 1)
    items = schema.get("items")
    if schema.get("type") == "array":
        _walk_places(items, visit, depth + 1)


def list_roots(wanted: dict[str, Any]) -> dict[str, str]:
    """{model: item model} for the models that are a plain list of one model (a RootModel of
    `list[Item]`): a method answering one returns the list itself, not a wrapper with `.root`.
    `wanted` is what `schemas` returns."""
    roots = {}
    for name, schema in wanted.items():
        items = schema.get("items") if isinstance(schema, dict) else None
        ref = items.get("$ref") if isinstance(items, dict) else None
        if (
            schema.get("type") == "array"
            and isinstance(ref, str)
            and ref.startswith(COMPONENTS)
            and ref[len(COMPONENTS) :] in wanted
            and set(schema) <= {"type", "items", "description", "title"}
        ):
            roots[name] = ref[len(COMPONENTS) :]
    return roots


def _hoistable(schema: Any) -> bool:
    """A plain inline object: its own properties, nothing that a reference would change
    (a default, nullability, combinators)."""
    return (
        isinstance(schema, dict)
        and schema.get("type") == "object"
        and isinstance(schema.get("properties"), dict)
        and bool(schema["properties"])
        and not any(
            key in schema
            for key in (
                "$ref",
                "default",
                "nullable",
                "allOf",
                "anyOf",
                "oneOf",
                "const",
                "enum",
            )
        )
    )


def _singular(name: str) -> str:
    """`Order_items` -> `Order_item`, `Response_data` -> `Response_data_item`."""
    head, _, last = name.rpartition("_")
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
        return f"{head}_{last[:-1]}" if head else last[:-1]
    return f"{name}_item"


def _flatten_overrides(schema: Any, shared: dict[str, Schema], depth: int = 0) -> Any:
    """An `allOf` whose branches give one property two different schemas (or two different
    requirednesses) becomes one merged object (later branches win, `required` joined): as a
    subclass, the model would override a field with an incompatible type or without the default,
    which mypy and pyright reject and pydantic reads differently.
    """
    if isinstance(schema, list):
        return [_flatten_overrides(item, shared, depth + 1) for item in schema]
    if not isinstance(schema, dict) or depth > 40:
        return schema
    out = {
        key: (
            value
            if key in normalize.DATA_KEYWORDS
            else _flatten_overrides(value, shared, depth + 1)
        )
        for key, value in schema.items()
    }
    branches = out.get("allOf")
    if not isinstance(branches, list) or len(branches) < 2:
        return out
    resolved = [normalize.resolve(branch, shared) for branch in branches]
    if not all(
        isinstance(b, dict)
        and isinstance(b.get("properties", {}), dict)
        and "allOf" not in b
        for b in resolved
    ) or not any("properties" in b for b in resolved):
        return out
    seen: dict[str, Any] = {}
    needed: dict[str, bool] = {}
    conflict = False
    for branch in resolved:
        wanted = set(branch.get("required") or [])
        # a branch that only makes an earlier optional field required overrides it too
        conflict = conflict or any(
            seen.get(n) is not None and not needed[n] for n in wanted
        )
        for name, prop in branch.get("properties", {}).items():
            # a field a later branch gives another schema, or makes required where an
            # earlier one had it optional (with a default), is an override
            conflict = conflict or (
                name in seen
                and (seen[name] != prop or needed[name] != (name in wanted))
            )
            seen[name] = prop
            needed[name] = name in wanted
    if not conflict:
        return out
    required = [
        r for b in resolved for r in b.get("required", []) if isinstance(r, str)
    ]
    merged = {key: value for key, value in out.items() if key != "allOf"}
    merged.update(type="object", properties=seen)
    if required:
        merged["required"] = list(dict.fromkeys(required))
    return merged


def _inline_defaulted(schema: Any, shared: dict[str, Schema], depth: int = 0) -> Any:
    """A ref to an enum or scalar model, where it or the model has a default, becomes the
    model's own keywords: a model class cannot take a plain default (mypy rejects the field).
    """
    if isinstance(schema, list):
        return [_inline_defaulted(item, shared, depth + 1) for item in schema]
    if not isinstance(schema, dict) or depth > 40:
        return schema
    only = schema.get("allOf")
    if (
        isinstance(only, list)
        and len(only) == 1
        and isinstance(only[0], dict)
        and set(only[0]) == {"$ref"}
        and "$ref" not in schema
    ):
        # `allOf: [{$ref: X}]` with siblings (a default, a description) is a ref to X
        schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **only[0]}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(normalize.DEFS_REF):
        target = normalize.resolve(schema, shared)
        if (
            isinstance(target, dict)
            and ("default" in schema or "default" in target)
            and (
                "enum" in target or target.get("type") not in ("object", "array", None)
            )
        ):
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            return {**target, **siblings}
    return {
        key: (
            value
            if key in normalize.DATA_KEYWORDS
            else _inline_defaulted(value, shared, depth + 1)
        )
        for key, value in schema.items()
    }


def input_schema(request: Request, shared: dict[str, Schema]) -> Any:
    """The body as the client validates it: an object of fields, binary (file) fields left out
    (they are checked and sent as uploads, not as JSON)."""
    body = (
        normalize.resolve(request["schema"], shared)
        if not request["body_param"]
        else request["schema"]
    )
    binary = {field["name"] for field in request["fields"] if field["binary"]}
    if request["encoding"] != "multipart" and request["fields"]:
        return _text_only(body)
    if not binary:
        return body
    kept = {
        name: prop for name, prop in body["properties"].items() if name not in binary
    }
    return {
        **body,
        "properties": kept,
        "required": [name for name in body.get("required", []) if name not in binary],
    }


def _text_only(body: dict[str, Any]) -> dict[str, Any]:
    """A JSON or form body's `format: binary` fields are strings: such a body carries text."""
    properties = {
        name: (
            {k: v for k, v in prop.items() if k != "format"}
            if isinstance(prop, dict) and prop.get("format") == "binary"
            else prop
        )
        for name, prop in body["properties"].items()
    }
    return {**body, "properties": properties}


def params_schema(endpoint: Endpoint) -> Schema:
    """One object for the path, query, header and cookie parameters, keyed by Python name."""
    return {
        "type": "object",
        "properties": {
            param["python_name"]: param["schema"] for param in endpoint["parameters"]
        },
        "required": [
            param["python_name"]
            for param in endpoint["parameters"]
            if param["required"]
        ],
    }


def _components_refs(schema: Any) -> Any:
    """The registry's `#/$defs/X` refs as datamodel-code-generator's OpenAPI input wants them."""
    if isinstance(schema, list):
        return [_components_refs(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: (
            ("#/components/schemas/" + value[len(normalize.DEFS_REF) :])
            if key == "$ref"
            and isinstance(value, str)
            and value.startswith(normalize.DEFS_REF)
            else value if key in normalize.DATA_KEYWORDS else _components_refs(value)
        )
        for key, value in schema.items()
    }


# Formats whose pydantic types need packages beyond pydantic (EmailStr) or rewrite the value
# (AnyUrl adds a trailing slash): the client keeps these strings as the user wrote them.
PLAIN_STRING_FORMATS = {
    "email",
    "idn-email",
    "uri",
    "url",
    "uri-reference",
    "iri",
    "iri-reference",
    "hostname",
    "idn-hostname",
}


def strip_extensions(schema: Any) -> Any:
    """Our `x-` annotations are for the registry, not for the models."""
    if isinstance(schema, list):
        return [strip_extensions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key.startswith("x-") or (key == "format" and value in PLAIN_STRING_FORMATS):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: strip_extensions(sub) for name, sub in value.items()}
        else:
            out[key] = strip_extensions(value)
    return out


NO_MODELS = '"""No request or response models."""\n'


def source(registry: Registry, cache_dir: Path | None = None) -> str:
    """The models module; cached by its input, as datamodel-code-generator takes seconds on big APIs."""
    return source_of(schemas(registry), cache_dir)


def cached_source(wanted: dict[str, Any], cache_dir: Path | None) -> str | None:
    """The models module when it needs no datamodel-code-generator run: none, or cached."""
    if not wanted:
        return NO_MODELS
    cached = _cache_file(wanted, cache_dir)
    if cached is not None and cached.is_file():
        return cached.read_text(encoding="utf-8")
    return None


def _cache_file(wanted: dict[str, Any], cache_dir: Path | None) -> Path | None:
    if cache_dir is None:
        return None
    key = hashlib.sha256(
        json.dumps(
            [datamodel_version, naming.MODEL_FIELD_NAMING, wanted],
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    return cache_dir / f"{key}.py"


def source_of(wanted: dict[str, Any], cache_dir: Path | None = None) -> str:
    known = cached_source(wanted, cache_dir)
    if known is not None:
        return known
    cached = _cache_file(wanted, cache_dir)
    text = _generate(wanted)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(cached)
    return text


def _local_refs_only(wanted: dict[str, Any]) -> None:
    """Every `$ref` names one of the models: datamodel-code-generator is never given a ref it
    could fetch (a URL) or open (a file). normalize drops others; this makes sure."""
    stack: list[Any] = [wanted]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None and not (
                isinstance(ref, str)
                and ref.startswith(COMPONENTS)
                and ref[len(COMPONENTS) :] in wanted
            ):
                raise fail(
                    "registry.json",
                    None,
                    f"$ref {ref!r} does not name a model; refusing to hand it to datamodel-code-generator",
                )
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    stack.extend(value.values())  # names are data, values schemas
                elif key not in normalize.DATA_KEYWORDS and key != "$ref":
                    stack.append(value)


COMPONENTS = "#/components/schemas/"


def _pin_discriminators(wanted: dict[str, Any]) -> dict[str, Any]:
    """Each model a discriminator maps to gets its tag value as an `enum` of the tag property
    (what datamodel-code-generator makes of it anyway: a Literal): two branches with the same
    shape then stay two models, not one reused as the other's base with a clashing Literal.
    """
    tags: dict[str, dict[str, list[str]]] = {}
    stack: list[Any] = list(wanted.values())
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        stack.extend(v for k, v in node.items() if k not in normalize.DATA_KEYWORDS)
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, dict) or not isinstance(
            discriminator.get("propertyName"), str
        ):
            continue
        mapping = discriminator.get("mapping")
        pairs = (
            list(mapping.items())
            if isinstance(mapping, dict)
            else [
                (str(branch["$ref"])[len(COMPONENTS) :], branch["$ref"])
                for branch in node.get("oneOf") or node.get("anyOf") or []
                if isinstance(branch, dict) and isinstance(branch.get("$ref"), str)
            ]
        )
        for value, ref in pairs:
            if isinstance(ref, str) and ref.startswith(COMPONENTS):
                found = tags.setdefault(ref[len(COMPONENTS) :], {})
                found.setdefault(discriminator["propertyName"], []).append(str(value))
    pinned = dict(wanted)
    for name, properties in tags.items():
        schema = pinned.get(name)
        if not isinstance(schema, dict) or not isinstance(
            schema.get("properties"), dict
        ):
            continue
        props = dict(schema["properties"])
        for prop, values in properties.items():
            current = props.get(prop)
            if (
                isinstance(current, dict)
                and current.get("type") == "string"
                and "enum" not in current
                and "const" not in current
            ):
                props[prop] = {**current, "enum": sorted(set(values))}
        pinned[name] = {**schema, "properties": props}
    return pinned


def _deprecated_on_fields_only(schema: Any, is_field: bool = False) -> Any:
    """`deprecated` kept where it marks an object's field; elsewhere (an array's items, a
    model) datamodel-code-generator would put it on a RootModel's `root`, which pydantic then
    refuses to read (AttributeError: root)."""
    if isinstance(schema, list):
        return [_deprecated_on_fields_only(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "deprecated" and not is_field:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _deprecated_on_fields_only(sub, True)
                for name, sub in value.items()
            }
        elif key in normalize.DATA_KEYWORDS:
            out[key] = value
        else:
            out[key] = _deprecated_on_fields_only(value)
    return out


def open_objects(schema: Any) -> Any:
    """A copy where every object that does not forbid other members says it admits them
    (`additionalProperties: true`): JSON Schema's default, which datamodel-code-generator
    only honours when written. The models then keep members the schema does not name (an
    answer's undocumented fields, a free-form body's every key) instead of dropping them.
    """
    return _rebuilt(schema, _admitting_others)


def _admitting_others(out: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if "additionalProperties" not in schema and (
        kind == "object"
        or (isinstance(kind, list) and "object" in kind)
        or (kind is None and isinstance(schema.get("properties"), dict))
    ):
        out["additionalProperties"] = True
    return out


def _generate(wanted: dict[str, Any]) -> str:
    _local_refs_only(wanted)
    wanted = {
        name: _deprecated_on_fields_only(schema)
        for name, schema in _pin_discriminators(wanted).items()
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "models", "version": "1"},
        "paths": {},
        "components": {"schemas": wanted},
    }
    try:
        text = _run(document, field_aliases(wanted))
    except (
        Exception
    ) as exc:  # datamodel-code-generator's own errors have no common base
        raise fail(
            "registry.json",
            None,
            f"datamodel-code-generator could not build the models: {type(exc).__name__}: {str(exc)[:300]}",
        ) from None
    assert isinstance(text, str)
    text = _parametrize_bare_containers(text)
    text = text.rstrip("\n") + "\n"  # one final newline, as black leaves a file
    for name in wanted:
        if not re.search(rf"^class {re.escape(name)}\(", text, re.MULTILINE):
            raise fail(
                "registry.json",
                None,
                f"datamodel-code-generator did not emit the model {name}",
            )
    return text


def field_aliases(wanted: dict[str, Any]) -> dict[str, str]:
    """Field names for datamodel-code-generator, decided by `naming.field_names` (the wire
    name stays each field's alias): `Model.wire` for the properties of each model (its own and
    those of inline `allOf` parts, which it merges), and `wire` alone for those of the inline
    objects it names itself, one Python name per wire name across them all. A name that stays
    the wire name needs no entry."""
    aliases: dict[str, str] = {}
    inner: list[str] = []
    found = [(name, *_properties(schema)) for name, schema in wanted.items()]
    # the classes a field could shadow: the models, and the inline ones named after a field
    classes = frozenset([*wanted, *(wire for *_, named in found for wire in named)])
    for name, own, nested, _ in found:
        for wire, python in naming.field_names(own, classes).items():
            if python != wire:
                aliases[f"{name}.{wire}"] = python
        inner += nested
    for wire, python in naming.field_names(list(dict.fromkeys(inner)), classes).items():
        if python != wire:
            aliases[wire] = python
    return aliases


def _properties(schema: Any) -> tuple[list[str], list[str], list[str]]:
    """(the property names of the model `schema` is, those of the inline objects inside it,
    the names of properties whose schema is an inline object or enum: classes of their own).
    """
    own: list[str] = []
    nested: list[str] = []
    named: list[str] = []
    tops = [schema] + [
        part
        for part in (schema.get("allOf") or [] if isinstance(schema, dict) else [])
        if isinstance(part, dict) and "$ref" not in part
    ]
    stack: list[Any] = []
    for top in tops:
        if not isinstance(top, dict):
            continue
        properties = top.get("properties")
        if isinstance(properties, dict):
            own += [wire for wire in properties if wire not in own]
            stack += list(properties.values())
            named += _inline_classes(properties)
        stack += [
            value
            for key, value in top.items()
            if key not in ("properties", "allOf", *normalize.DATA_KEYWORDS)
        ]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                nested += list(properties)
                stack += list(properties.values())
                named += _inline_classes(properties)
            stack += [
                value
                for key, value in node.items()
                if key != "properties" and key not in normalize.DATA_KEYWORDS
            ]
    return own, nested, named


def _inline_classes(properties: dict[str, Any]) -> list[str]:
    """Properties datamodel-code-generator makes a class of, named after the property: an
    inline object (of the value or its items). Only a PascalCase name can equal the class's.
    """
    return [
        wire
        for wire, prop in properties.items()
        if wire[:1].isupper()
        and isinstance(prop, dict)
        and "$ref" not in prop
        and (
            "properties" in prop
            or (isinstance(prop.get("items"), dict) and "properties" in prop["items"])
        )
    ]


_ANNOTATION_LINE = re.compile(r"^(?:    \w+: |class \w+\(RootModel\[)")
_BARE = {"list": "list[Any]", "dict": "dict[str, Any]"}


def _parametrize_bare_containers(text: str) -> str:
    """A bare `list` or `dict` in a field's or root model's annotation (what
    datamodel-code-generator writes for an array of recursive maps) as `list[Any]` /
    `dict[str, Any]`: the same at run time, and `mypy --strict` takes it."""
    lines = text.split("\n")
    changed = False
    for index, line in enumerate(lines):
        if not _ANNOTATION_LINE.match(line):
            continue
        quoted = min((line.find(q) for q in "\"'" if q in line), default=len(line))
        head = re.sub(
            r"(?<![\w.])(list|dict)\b(?!\[)",
            lambda m: _BARE[m.group(1)],
            line[:quoted],
        )
        if head != line[:quoted]:
            lines[index], changed = head + line[quoted:], True
    if changed and not re.search(r"^from typing import .*\bAny\b", text, re.M):
        at = next(
            i for i, line in enumerate(lines) if line.startswith("from __future__")
        )
        lines.insert(at + 1, "\nfrom typing import Any")
    return "\n".join(lines)


def _run(document: dict[str, Any], aliases: dict[str, str] | None = None) -> Any:
    # imported here: only a run that builds models pays for datamodel-code-generator's import
    from datamodel_code_generator import (
        DatetimeClassType,
        InputFileType,
        LiteralType,
        PythonVersion,
        generate,
    )
    from datamodel_code_generator.enums import DataModelType
    from datamodel_code_generator.format import Formatter

    return generate(
        document,
        aliases=aliases or None,
        input_file_type=InputFileType.OpenAPI,
        output_model_type=DataModelType.PydanticV2BaseModel,
        formatters=[Formatter.BUILTIN],
        disable_timestamp=True,
        field_constraints=True,
        use_annotated=True,
        enum_field_as_literal=LiteralType.All,
        keep_model_order=True,
        reuse_model=True,
        use_field_description=True,
        use_double_quotes=True,
        target_python_version=PythonVersion.PY_310,
        # plain datetime: APIs write naive times, aware times and date-only values alike
        output_datetime_class=DatetimeClassType.Datetime,
        custom_file_header='"""Request and response models. Generated by specgen with datamodel-code-generator; do not edit."""',
    )
