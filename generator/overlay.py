"""Overlays: declarative fixes layered onto the registry, so a re-export of the docs never loses them.

In the spirit of the OpenAPI Overlay 1.0 spec: a document with `actions`, each a `target`
(an RFC 9535 JSONPath into the registry, e.g. `$.endpoints[?@.path == '/fal-ai/flux-lora']`)
and either `update` (merged into every node the target selects) or `remove: true`. Overlays
apply after reading and before the registry is validated (`apply` edits the `Registry` in
place), so a bad overlay is caught by the registry schema like anything else. A target that
selects nothing is an error: it means the docs changed under the overlay, and silently doing
nothing would hide that.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, cast

import jsonpath_rfc9535 as jsonpath
import yaml

from generator.diagnostics import fail
from generator.registry_types import Registry


def load(path: Path, name: str) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = (
            getattr(exc, "lineno", None)
            or getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        )
        raise fail(
            name,
            line or None,
            f"overlay is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("actions"), list):
        raise fail(name, 1, "expected an overlay document with an `actions` list")
    for index, action in enumerate(data["actions"]):
        if not isinstance(action, dict) or not isinstance(action.get("target"), str):
            raise fail(
                name,
                None,
                "expected each action to have a `target` JSONPath string",
                f"/actions/{index}",
            )
        if ("update" in action) == bool(action.get("remove")):
            raise fail(
                name,
                None,
                "expected exactly one of `update` or `remove: true`",
                f"/actions/{index}",
            )
    return data


def apply(document: Registry, overlay: dict[str, Any], name: str) -> None:
    """Apply every action of `overlay` to `document`, in order, in place. An overlay may
    write anything: the registry has its declared shape again once `registry.validate`
    passes, which runs next."""
    data = cast("dict[str, Any]", document)  # edited as the JSON document it is
    for index, action in enumerate(overlay["actions"]):
        pointer = f"/actions/{index}"
        try:
            nodes = list(jsonpath.find(action["target"], data))
        except jsonpath.JSONPathError as exc:
            raise fail(
                name,
                None,
                f"target {action['target']!r} is not a valid JSONPath: {exc}",
                pointer,
            ) from None
        if not nodes:
            raise fail(
                name,
                None,
                f"target {action['target']!r} matches nothing in the registry",
                pointer,
            )
        # Deepest and last first, so removing one node never shifts the location of another.
        for node in sorted(
            nodes, key=lambda n: [str(part) for part in n.location], reverse=True
        ):
            if action.get("remove"):
                _remove(data, node.location)
            else:
                _update(data, node.location, action["update"], name, pointer)


def _container(document: Any, location: tuple[Any, ...]) -> Any:
    for part in location[:-1]:
        document = document[part]
    return document


def _remove(document: dict[str, Any], location: tuple[Any, ...]) -> None:
    if location:
        del _container(document, location)[location[-1]]


def _update(
    document: dict[str, Any],
    location: tuple[Any, ...],
    update: Any,
    name: str,
    pointer: str,
) -> None:
    target = document if not location else _container(document, location)[location[-1]]
    if isinstance(target, dict) and isinstance(update, dict):
        merge(target, update)
    elif isinstance(target, list):
        target.extend(
            copy.deepcopy(update)
            if isinstance(update, list)
            else [copy.deepcopy(update)]
        )
    elif location:
        _container(document, location)[location[-1]] = copy.deepcopy(update)
    else:
        raise fail(name, None, "cannot replace the whole registry", pointer)


def merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    """Objects merge recursively; any other value (arrays included) replaces what was there."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
