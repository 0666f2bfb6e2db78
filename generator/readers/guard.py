"""Bounded, safe loading of untrusted input: every reader parses JSON and YAML through here.

What is refused, each with the line (and JSON pointer where one applies) and what was expected:
- numbers JSON cannot carry: `NaN`, `Infinity`, `1e400`, YAML `.nan`/`.inf`;
- integers of more than `max_integer_digits` digits (40 by default; a 5,000-digit integer is
  not an id but a bomb: Python will not even convert it). JSON Schema sets no range on integers
  and Python's are exact, so int64, uint64 ids (up to 2^64-1) and larger values within the
  limit are read exactly as written;
- lone UTF-16 surrogates (`"\\ud800"`): no UTF-8 file can hold them;
- nesting deeper than `max_depth` (JSON/YAML containers, 64 by default);
- YAML whose aliases expand to more than `max_yaml_nodes` nodes (a "billion laughs"), or an
  alias inside the node it names (self-referential data);
- a key given twice in one YAML mapping (YAML requires unique keys; every parser keeps one
  and drops the other silently). Keys are compared as the reader sees them, as strings
  (`200` and `'200'` are one key). A name given twice in one JSON object is only a SHOULD
  in RFC 8259: `json_duplicates` finds them for a warning;
- a file larger than `max_input_bytes`.

The limits come from `[tool.specgen.limits]` (see `Limits`); `using()` makes them active for a run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import yaml

from generator.limits import Limits

INT64 = 2**63


_ACTIVE: ContextVar[Limits] = ContextVar(
    "specgen_limits", default=Limits()  # noqa: B039 (frozen dataclass)
)


def active() -> Limits:
    return _ACTIVE.get()


@contextmanager
def using(limits: Limits) -> Iterator[None]:
    token = _ACTIVE.set(limits)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


class UnsafeData(ValueError):
    """Input that is refused; `line` (1-based, within the text given) or `literal` (text to look
    for) locates it, `pointer` says where in the data."""

    def __init__(
        self,
        message: str,
        pointer: str = "",
        line: int | None = None,
        literal: str = "",
    ) -> None:
        super().__init__(message)
        self.message, self.pointer, self.line, self.literal = (
            message,
            pointer,
            line,
            literal,
        )

    def line_in(self, text: str) -> int | None:
        if self.line is not None:
            return self.line
        if self.literal:
            found = re.search(self.literal, text)
            if found:
                return text.count("\n", 0, found.start()) + 1
        return None


SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _pointer(tokens: list[str | int]) -> str:
    return "".join(
        "/" + str(token).replace("~", "~0").replace("/", "~1") for token in tokens
    )


def check_size(data: bytes) -> None:
    limit = active().max_input_bytes
    if len(data) > limit:
        raise UnsafeData(
            f"the file has {len(data)} bytes, more than the limit of {limit} "
            "(raise [tool.specgen.limits] max_input_bytes to read it)",
            line=1,
        )


def _json_depth(text: str) -> None:
    limit, depth = active().max_depth, 0
    for match in _JSON_TOKENS.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                raise UnsafeData(
                    f"data nested more than {limit} levels deep "
                    "(raise [tool.specgen.limits] max_depth to read it)",
                    line=text.count("\n", 0, match.start()) + 1,
                )
        elif char in "]}":
            depth -= 1


def _reject_constant(name: str) -> Any:
    raise UnsafeData(
        f"{name} is not a finite number; expected a JSON number",
        literal=re.escape(name),
    )


# Python refuses to convert longer digit strings (sys.int_info.default_max_str_digits).
PYTHON_MAX_DIGITS = 4300


def integer_digits_limit() -> int:
    return min(active().max_integer_digits, PYTHON_MAX_DIGITS)


def _too_many_digits(digits: int) -> str:
    limit = integer_digits_limit()
    return (
        f"integer of {digits} digits, more than the limit of {limit}; expected an integer "
        "of at most that many digits (write larger values as strings, or raise "
        "[tool.specgen.limits] max_integer_digits)"
    )


def _checked_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > integer_digits_limit():
        raise UnsafeData(_too_many_digits(len(digits)), literal=re.escape(text[:40]))
    return int(text)


def _checked_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnsafeData(
            f"{text} is not a finite number (it overflows a double); expected a JSON number",
            literal=re.escape(text),
        )
    return value


def json_loads(
    text: str, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None
) -> Any:
    """`json.loads` that refuses what this module refuses (UnsafeData; JSONDecodeError as usual)."""
    _json_depth(text)
    data = json.loads(
        text,
        parse_constant=_reject_constant,
        parse_int=_checked_int,
        parse_float=_checked_float,
        object_pairs_hook=object_pairs_hook,
    )
    try:
        check_data(data)
    except UnsafeData as exc:
        exc.literal = exc.literal or _SURROGATE_ESCAPE
        raise
    return data


_JSON_SCAN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.S)


def json_duplicates(text: str) -> list[tuple[int, str, str, int]]:
    """Each name given twice in one object of a JSON text (which parses): (line of the second,
    JSON pointer of the member, the name, line of the first). One pass over the tokens.
    """
    found: list[tuple[int, str, str, int]] = []
    # per open container: is an object, the names so far (-> line), next token is a name,
    # the current member's name or element's index
    frames: list[list[Any]] = []
    line, at = 1, 0
    for match in _JSON_SCAN.finditer(text):
        token = match.group()
        line += text.count("\n", at, match.start())
        at = match.start()
        top = frames[-1] if frames else None
        if token in "{[":
            frames.append([token == "{", {}, True, "" if token == "{" else 0])
        elif token in "]}":
            frames.pop()
        elif token == ",":
            if top is not None and top[0]:
                top[2] = True
            elif top is not None:
                top[3] += 1
        elif top is not None and top[0] and top[2]:
            name = json.loads(token)
            top[2], top[3] = False, name
            if name in top[1]:
                where = _pointer([frame[3] for frame in frames])
                found.append((line, where, name, top[1][name]))
            else:
                top[1][name] = line
    return found


def check_data(data: Any) -> None:
    """Walk parsed data (no recursion: any depth is safe) for values this module refuses."""
    limit = active().max_depth
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            if len(where) >= limit:
                raise UnsafeData(
                    f"data nested more than {limit} levels deep "
                    "(raise [tool.specgen.limits] max_depth to read it)",
                    _pointer(where[:limit]),
                )
            for key, item in value.items():
                if isinstance(key, str) and SURROGATE.search(key):
                    raise UnsafeData(_surrogate_message(key), _pointer(where))
                stack.append((item, [*where, key]))
        elif isinstance(value, list):
            if len(where) >= limit:
                raise UnsafeData(
                    f"data nested more than {limit} levels deep "
                    "(raise [tool.specgen.limits] max_depth to read it)",
                    _pointer(where[:limit]),
                )
            stack.extend((item, [*where, index]) for index, item in enumerate(value))
        elif isinstance(value, str):
            if SURROGATE.search(value):
                raise UnsafeData(_surrogate_message(value), _pointer(where))
        elif isinstance(value, float) and not math.isfinite(value):
            raise UnsafeData(
                f"{value!r} is not a finite number; expected a JSON number",
                _pointer(where),
            )
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not -INT64 <= value < 2 * INT64  # int64 and uint64: the common case
            and _digits(value) > integer_digits_limit()
        ):
            raise UnsafeData(_too_many_digits(_digits(value)), _pointer(where))


def _digits(value: int) -> int:
    if value.bit_length() <= 14000:  # str() refuses more than 4,300 digits
        return len(str(abs(value)))
    return int(value.bit_length() * 0.30103)  # log10(2): about, and far past any limit


def _surrogate_message(text: str) -> str:
    found = SURROGATE.search(text)
    code = ord(found.group()) if found else 0
    return (
        f"invalid unicode: a lone surrogate U+{code:04X} in a string; expected text "
        "that UTF-8 can carry"
    )


# -- YAML ------------------------------------------------------------------------------------------


def check_yaml(text: str, loader: Any) -> None:
    """One pass over the YAML events, before anything is built: depth, alias expansion,
    self-reference and the scalars this module refuses. Linear in the text's length."""
    limits = active()
    expanded, depth = 0, 0
    sizes: dict[str, int] = {}
    stack: list[tuple[int, str | None]] = []  # (expanded count when opened, anchor)
    open_anchors: set[str] = set()
    resolver = loader("")  # the loader's own implicit typing decides what a scalar is
    keys = _Keys(resolver)
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1 if event.start_mark else None
        keys.see(event, line)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            expanded += 1
            if depth > limits.max_depth:
                raise UnsafeData(
                    f"data nested more than {limits.max_depth} levels deep "
                    "(raise [tool.specgen.limits] max_depth to read it)",
                    line=line,
                )
            stack.append((expanded, event.anchor))
            if event.anchor:
                open_anchors.add(event.anchor)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
            opened, anchor = stack.pop()
            if anchor:
                sizes[anchor] = expanded - opened + 1
                open_anchors.discard(anchor)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                raise UnsafeData(
                    f"YAML alias *{event.anchor} refers to itself (it sits inside the "
                    f"node &{event.anchor} names); expected data without cycles",
                    line=line,
                )
            expanded += sizes.get(str(event.anchor), 1)
        elif isinstance(event, yaml.ScalarEvent):
            expanded += 1
            if event.anchor:
                sizes[event.anchor] = 1
            try:
                _check_scalar(event, line, resolver)
            except UnsafeData as exc:
                exc.line = exc.line or line
                raise
        if expanded > limits.max_yaml_nodes:
            raise UnsafeData(
                f"YAML aliases expand to more than {limits.max_yaml_nodes} nodes "
                "(raise [tool.specgen.limits] max_yaml_nodes to read it)",
                line=line,
            )


class _Frame:
    """An open collection: a mapping's keys so far (text -> line) and whether the next node is
    a key; a sequence's index."""

    __slots__ = ("at_key", "current", "keys", "mapping")

    def __init__(self, mapping: bool) -> None:
        self.mapping, self.at_key = mapping, True
        self.keys: dict[str, int | None] = {}
        self.current: str | int = "" if mapping else -1


class _Keys:
    """Follows the event stream and refuses a key given twice in one mapping."""

    def __init__(self, resolver: Any) -> None:
        self.resolver = resolver
        self.frames: list[_Frame] = []
        # first characters some implicit type starts with: a plain key starting otherwise is text
        self.typed_starts = set(type(resolver).yaml_implicit_resolvers)

    def see(self, event: Any, line: int | None) -> None:
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            self.frames.pop()
            self._done()
            return
        opens = kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent
        if not (opens or kind is yaml.ScalarEvent or kind is yaml.AliasEvent):
            return
        if self.frames:
            top = self.frames[-1]
            if not top.mapping:
                top.current = int(top.current) + 1
            elif top.at_key and kind is yaml.ScalarEvent:
                self._key(top, self._key_text(event), line)
        if opens:
            self.frames.append(_Frame(kind is yaml.MappingStartEvent))
        else:
            self._done()

    def _key(self, top: _Frame, key: str, line: int | None) -> None:
        if key in top.keys:
            first = top.keys[key]
            raise UnsafeData(
                f"found the key {key!r} twice in one mapping"
                + (f" (first at line {first})" if first else "")
                + "; expected each key once (YAML requires the keys of a mapping to "
                "be unique: a reader keeps one of them and silently drops the other)",
                _pointer([*(frame.current for frame in self.frames[:-1]), key]),
                line=line,
            )
        top.keys[key] = line
        top.current = key

    def _done(self) -> None:
        """A node ended: in a mapping, a key is followed by its value and a value by a key."""
        if self.frames and self.frames[-1].mapping:
            self.frames[-1].at_key = not self.frames[-1].at_key

    def _key_text(self, event: Any) -> str:
        """A scalar key as the readers see it (`plain_data` makes every key a string)."""
        value, tag = event.value, event.tag
        if tag in (None, "!"):
            if not event.implicit[0] or not value or value[0] not in self.typed_starts:
                return str(value)  # quoted, or plain text no implicit type starts with
            tag = self.resolver.resolve(yaml.ScalarNode, value, event.implicit)
        construct = type(self.resolver).yaml_constructors.get(tag)
        try:
            data = (
                value
                if construct is None
                else construct(
                    self.resolver, yaml.ScalarNode(tag, value, style=event.style)
                )
            )
        except (yaml.YAMLError, ValueError, TypeError):
            data = value
        return str(data).lower() if isinstance(data, bool) else str(data)


def _check_scalar(event: Any, line: int | None, resolver: Any) -> None:
    value = event.value
    if SURROGATE.search(value):
        raise UnsafeData(_surrogate_message(value), line=line)
    if event.tag not in (None, "!") or not event.implicit[0]:
        return  # quoted or explicitly tagged: a string
    tag = resolver.resolve(yaml.ScalarNode, value, event.implicit)
    if tag == "tag:yaml.org,2002:int":
        digits = value.replace("_", "").lstrip("+-")
        if digits.isdigit():
            _checked_int(value.replace("_", "").lstrip("+"))
    elif tag == "tag:yaml.org,2002:float":
        lowered = value.replace("_", "").lower()
        if lowered.endswith((".inf", ".nan")) or not _finite(lowered):
            raise UnsafeData(
                f"{value} is not a finite number; expected a JSON number", line=line
            )


def _finite(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return True  # sexagesimal and other YAML 1.1 forms: PyYAML reads them itself
