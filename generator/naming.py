"""Python names for spec names: rebuilt from safe characters, never escaped, never shadowing."""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re

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


def identifier(text: str, taken: set[str], fallback: str = "field") -> str:
    """A snake_case identifier for `text`, not reserved and not in `taken` (which it joins)."""
    name = snake(text) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if name in RESERVED:
        name = f"{name}_"
    return unique(name, taken, "_")


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


def class_name(text: str, taken: set[str]) -> str:
    """A unique PascalCase class name for `text`; text with no ASCII letters gets a stable
    `Model<hash>` (datamodel-code-generator would keep CJK identifiers, which few users want).
    """
    base = (
        pascal(snake(text))
        if snake(text)
        else "Model" + hashlib.sha1(text.encode()).hexdigest()[:8]
    )
    if base[0].isdigit():
        base = f"Model{base}"
    if base in MODEL_MODULE_NAMES or base in RESERVED:
        base = f"{base}Model"
    return unique(base, taken)
