"""Python names for spec names: rebuilt from safe characters, never escaped, never shadowing."""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re

import pydantic

# Names a generated identifier must never take: keywords, builtins, pydantic's BaseModel
# members, and the parameters and attributes of the generated client itself.
RESERVED = frozenset(
    [
        *keyword.kwlist,
        *keyword.softkwlist,
        *dir(builtins),
        "self",
        "cls",
        "model_config",
        "model_fields",
        "model_dump",
        "model_validate",
        "model_copy",
        "model_json_schema",
        "model_construct",
        "schema",
        "json",
        "dict",
        "copy",
        "validate",
        "construct",
        "fields",
        "timeout",
        "on_update",
        "webhook_url",
        "headers",
        "logs",
        "handle",
        "request_id",
        "client",
        "interval",
        "max_interval",
        "poll_interval",
        "submit",
        "status",
        "result",
        "cancel",
        "run",
    ]
)


def snake(text: str) -> str:
    """`userId` -> `user_id`, `image-to-image` -> `image_to_image`; non-ASCII letters are dropped."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return text


# Longer names are cut, with a hash of the whole: they name files (`endpoints/<name>.py`,
# `docs/<name>.md`), and file systems refuse names over 255 bytes.
MAX_LENGTH = 64


def shorten(name: str, limit: int = MAX_LENGTH, separator: str = "_") -> str:
    """`name`, or its first characters and a hash of all of it: deterministic, still unique."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    if not separator:
        digest = "H" + digest.upper()  # stays one PascalCase word
    return f"{name[: limit - 10].rstrip('_')}{separator}{digest}"


def identifier(
    text: str,
    taken: set[str],
    fallback: str = "field",
    reserved: frozenset[str] = RESERVED,
) -> str:
    """A snake_case identifier for `text`, not in `reserved` and not in `taken` (which it
    joins): the one function that names things in a generated scope. `reserved` is what the
    scope already holds (see PARAMETER_RESERVED for a method's keyword arguments)."""
    name = shorten(snake(text) or fallback)
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if name in reserved:
        name = f"{name}_"
    return unique(name, taken, "_")


# A generated method's scope: its keyword arguments may take any name Python allows (`id`,
# `type`, `format`, `filter`, `input` stay as they are: builtins may be shadowed), except
# keywords and the names the method body uses: the module's imports (`models`, `rest`,
# `protocol`, `prepare`, `cast`, typing names) and its locals (`self`, `params`, `body`, ...).
BODY_NAMES = frozenset(
    {
        "self",
        "cls",
        "models",
        "rest",
        "protocol",
        "prepare",
        "cast",
        "Any",
        "Literal",
        "Callable",
        "Path",
        "AsyncClientBase",
        "SyncClientBase",
        "AsyncEndpoint",
        "Endpoint",
        "annotations",
        "params",
        "body",
        "files",
        "call",
        "flow",
        # the extra keyword arguments of queue methods
        "timeout",
        "on_update",
        "webhook_url",
    }
)
# Parameters also name the fields of the endpoint's Params/Input models: pydantic's own
# attributes (`json`, `dict`, `copy`, `model_*`) are taken there.
PARAMETER_RESERVED = frozenset(
    {
        *keyword.kwlist,
        *BODY_NAMES,
        *(name for name in dir(pydantic.BaseModel) if not name.startswith("__")),
    }
)


def unique(name: str, taken: set[str], separator: str = "") -> str:
    """`name`, or `name<sep>2`, `name<sep>3`, ... : the first not in `taken` (which it joins)."""
    candidate, counter = name, 2
    while candidate in taken:
        candidate, counter = f"{name}{separator}{counter}", counter + 1
    taken.add(candidate)
    return candidate


def pascal(snake_name: str) -> str:
    return (
        "".join(part[:1].upper() + part[1:] for part in snake_name.split("_") if part)
        or "Endpoint"
    )


# Names the models module itself uses: a model must not take them.
MODEL_MODULE_NAMES = frozenset(
    {
        "BaseModel",
        "Field",
        "RootModel",
        "Any",
        "Literal",
        "Annotated",
        "Enum",
        "Optional",
        "Union",
    }
)


def _library_names() -> frozenset[str]:
    """Public names of the modules a models file may import from (datamodel-code-generator
    imports `Decimal`, `IPv4Address`, `AwareDatetime`, `Base64Str`, ... by format): a model
    named like one of them would shadow the import."""
    import datetime
    import decimal
    import enum
    import ipaddress
    import pathlib
    import typing
    import uuid

    modules = (pydantic, typing, decimal, uuid, datetime, ipaddress, pathlib, enum)
    return frozenset(
        name for module in modules for name in dir(module) if not name.startswith("_")
    )


LIBRARY_NAMES = _library_names()


def class_name(text: str, taken: set[str]) -> str:
    """A unique PascalCase class name for `text`; text with no ASCII letters is
    transliterated (ascii_words), and what has no letters at all gets a stable `Model<hash>`
    (datamodel-code-generator would keep CJK identifiers, which few users want)."""
    words = snake(text) or snake(ascii_words(text))  # 用户信息 -> YongHuXinXi
    base = (
        pascal(words)
        if words
        else "Model" + hashlib.sha1(text.encode()).hexdigest()[:8]
    )
    if base[0].isdigit():
        base = f"Model{base}"
    base = shorten(base, separator="")
    if base in MODEL_MODULE_NAMES or base in RESERVED or base in LIBRARY_NAMES:
        base = f"{base}Model"
    return unique(base, taken)


def ascii_words(text: str) -> str:
    """`text` spelled in ASCII, for names: other scripts transliterated by anyascii (群聊相关 ->
    QunLiaoXiangGuan, Пользователи -> Pol'zovateli), so `snake` keeps their words instead of
    dropping them. Deterministic: anyascii is a fixed table, pinned in pyproject."""
    from anyascii import anyascii

    return anyascii(text) if not text.isascii() else text


# A resource namespace on the client (`client.user`, `client.admin.users`) and a method on it
# must not take what the client and the namespace classes already hold, nor a keyword.
CLIENT_MEMBERS = frozenset(
    {
        "base_url",
        "close",
        "aclose",
        "with_raw_response",
        "raw",
        "upload",
        "upload_file",
        "max_concurrency",
    }
)
# What a namespace class holds besides its namespaces and methods.
RESOURCE_MEMBERS = frozenset({"with_raw_response"})
NAMESPACE_RESERVED = frozenset({*RESERVED, *CLIENT_MEMBERS})


def namespace_identifier(text: str, taken: set[str]) -> str:
    """A snake_case attribute for a folder or tag name in any script: `User Admin` ->
    `user_admin`, `群聊相关` -> `qun_liao_xiang_guan`; unique in `taken` (which it joins).
    """
    return identifier(
        ascii_words(text), taken, fallback="group", reserved=NAMESPACE_RESERVED
    )


# A model's scope (the class body datamodel-code-generator writes): a field may not take
# pydantic's BaseModel attributes (`model_config`, `model_dump`, `schema`, `json`, `copy`,
# `dict`, ...; its metaclass's `mro` and `register`; `fields` from pydantic 1), keywords, or a
# name the class body uses in its annotations: the builtin types (`str`, `int`, ...), the types
# the module imports (`Field`, `Decimal`, `AwareDatetime`) and, passed by the caller, the model
# classes (`User: User` would shadow the class). A field named like a lowercase import (`date`,
# `time`) is fine: datamodel-code-generator then imports the type under an alias.
MODEL_FIELD_RESERVED = frozenset(
    {
        *keyword.kwlist,
        *(name for name in dir(pydantic.BaseModel) if not name.startswith("_")),
        *(name for name in dir(type(pydantic.BaseModel)) if not name.startswith("_")),
        "fields",
        "self",
        "cls",
        *("int", "float", "str", "bool", "bytes", "list", "dict"),
        *MODEL_MODULE_NAMES,
        *(name for name in LIBRARY_NAMES if name[:1].isupper()),
    }
)
# Bumped when the naming of model fields changes: the models cache is keyed by it.
MODEL_FIELD_NAMING = "fields-2"


def field_names(
    wire_names: list[str], classes: frozenset[str] = frozenset()
) -> dict[str, str]:
    """{wire name: Python field name} for the properties of one model, in order: a wire name
    that is already a plain ASCII identifier stays itself (`userId`, `id`, `type`, `UserId`);
    any other (`a-b`, `数据`, `1st`, `_x`) or one the model's scope holds (MODEL_FIELD_RESERVED:
    `json`, `model_config`, `class`, `str`, `Field`; `classes`: the model classes) is rebuilt
    by `identifier` (snake_case); two names never meet. The wire name stays the field's alias.
    """
    reserved = MODEL_FIELD_RESERVED | classes
    kept = {
        wire
        for wire in wire_names
        if _plain_field(wire, reserved) and len(wire) <= MAX_LENGTH
    }
    taken = set(kept)  # a plain name keeps itself even when a rebuilt one comes first
    names: dict[str, str] = {}
    for wire in wire_names:
        if wire not in names:
            names[wire] = (
                wire if wire in kept else identifier(wire, taken, "field", reserved)
            )
    return names


def _plain_field(wire: str, reserved: frozenset[str]) -> bool:
    return (
        wire.isascii()
        and wire.isidentifier()
        and not wire.startswith("_")  # pydantic keeps `_x` private
        and wire not in reserved
    )
