"""Where a JSON pointer sits in the text of a JSON or YAML file: its line and column.

Positions are found lazily: nothing is indexed when a file is read, and a lookup scans only the
containers on the pointer's path (each one once; its members are remembered). JSON is scanned
with the standard library's C scanner (`scanstring` for keys, `scan_once` to step over a
value), YAML through PyYAML's composed nodes and their marks. So a big export is not read a
second time in Python, and a one-line export still gets exact columns.

A pointer names a member by its key: the position is the key's (`"post": {` is where a person
points at an operation); an array element's is the element's own. Lines and columns are
1-based, columns counted in characters, as editors and GitHub annotations count them. A local
`$ref` on the way is followed (`#/components/schemas/Pet` then `/properties/name`); `refs` may
turn other spellings (Apifox's `#/definitions/<id>`) into pointers.

A key repeated in one JSON object is found at its first occurrence (json.loads keeps the last
value): finding the last would mean scanning every object on the way to its end. YAML: the last.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import yaml

from generator.readers.refs import YamlLoader, unescape_pointer

scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WS = re.compile(r"[ \t\n\r]*")
_scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(  # type: ignore[attr-defined]
    json.JSONDecoder()
)

Position = tuple[int, int]  # (line, column), both 1-based


def tokens(pointer: str) -> list[str]:
    """The reference tokens of a JSON pointer ("" is the whole document)."""
    if not pointer:
        return []
    return [unescape_pointer(token) for token in pointer.split("/")[1:]]


class Located:
    """Where a pointer led: the position, and how much of the pointer exists in the file."""

    def __init__(self, position: Position, found: str, exact: bool) -> None:
        self.line, self.column = position
        self.found = (
            found  # the longest prefix of the pointer that exists (refs followed)
        )
        self.exact = exact


class _Positions:
    """The lookup shared by both formats; subclasses step from a node to a member."""

    def __init__(self, refs: Callable[[str], str | None] | None = None) -> None:
        self.refs = refs

    def root(self) -> Any:
        raise NotImplementedError

    def step(self, node: Any, token: str) -> tuple[Any, Any] | None:
        """(the handle to report, the value's handle) of one token below `node`, or None."""
        raise NotImplementedError

    def position(self, handle: Any) -> Position:
        raise NotImplementedError

    def string(self, handle: Any) -> str | None:
        raise NotImplementedError

    def locate(self, pointer: str) -> Located | None:
        """The position of `pointer`, or of the deepest part of it that exists."""
        node = self.root()
        if node is None:
            return None
        here: Any = node
        found: list[str] = []
        hops = 0
        pending = tokens(pointer)
        while pending:
            step = self.step(node, pending[0])
            if step is None:
                target, resolved = self._follow(node) if hops < 20 else (None, None)
                if target is None:
                    break
                hops += 1
                node, here, found = resolved, resolved, tokens(target)
                continue
            here, node = step
            found.append(pending.pop(0))
        text = "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in found)
        return Located(self.position(here), text, not pending)

    def _follow(self, node: Any) -> tuple[str | None, Any]:
        """(the pointer, the node) a `$ref` member of `node` leads to, or (None, None)."""
        step = self.step(node, "$ref")
        ref = self.string(step[1]) if step is not None else None
        if ref is None:
            return None, None
        targets = [unquote(ref[1:])] if ref.startswith("#/") else []
        other = self.refs(ref) if self.refs is not None else None
        for target in [*targets, *([other] if other is not None else [])]:
            resolved = self._resolve(target)
            if resolved is not None:
                return target, resolved
        return None, None

    def _resolve(self, pointer: str) -> Any:
        node = self.root()
        for token in tokens(pointer):
            step = self.step(node, token)
            if step is None:
                return None
            node = step[1]
        return node


class _Container:
    """How far one JSON object or array has been scanned."""

    __slots__ = ("closer", "end", "items", "keyed", "pending", "resume")

    def __init__(self, closer: str, resume: int) -> None:
        self.closer = closer
        self.keyed: dict[str, tuple[int, int]] = {}
        self.items: list[int] = []
        self.resume: int | None = resume  # where scanning goes on; None when done
        self.pending = False  # resume is at a member's value, not yet stepped over
        self.end: int | None = None  # the offset after the closing bracket, once known


class JsonPositions(_Positions):
    """Positions in JSON text; handles are character offsets.

    A container is scanned only as far as a lookup needs, and resumed by the next one; a value
    stepped over is parsed by the C scanner, or skipped by its known end when it was scanned
    before. Pointers asked in document order thus cost about one parse of the text before them.
    """

    def __init__(
        self, text: str, refs: Callable[[str], str | None] | None = None
    ) -> None:
        super().__init__(refs)
        self.text = text
        self._containers: dict[int, _Container | None] = {}
        self._newlines: list[int] | None = None

    def root(self) -> Any:
        index = self._skip_ws(0)
        return index if index < len(self.text) else None

    def position(self, handle: Any) -> Position:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_left(self._newlines, handle)
        start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, handle - start + 1

    def string(self, handle: Any) -> str | None:
        if self.text.startswith('"', handle):
            try:
                return scanstring(self.text, handle + 1)[0]
            except ValueError:
                return None
        return None

    def step(self, node: Any, token: str) -> tuple[Any, Any] | None:
        container = self._container(node)
        if container is None:
            return None
        if container.closer == "}":
            while token not in container.keyed and self._advance(container):
                pass
            return container.keyed.get(token)
        if not token.isdigit():
            return None
        wanted = int(token)
        while len(container.items) <= wanted and self._advance(container):
            pass
        if wanted < len(container.items):
            value = container.items[wanted]
            return value, value
        return None

    def _container(self, start: int) -> _Container | None:
        if start not in self._containers:
            opener = self.text[start : start + 1]
            self._containers[start] = (
                _Container("}" if opener == "{" else "]", self._skip_ws(start + 1))
                if opener in ("{", "[")
                else None
            )
        return self._containers[start]

    def _advance(self, container: _Container) -> bool:
        """Scan one more member; False when the container is done (or not JSON).

        A member's value is stepped over only when the next member is wanted: the lookup that
        found the member may be going down into it, and then it is scanned only once."""
        index = container.resume
        if index is None:
            return False
        text = self.text
        try:
            if container.pending:
                index = self._skip_ws(self._skip(index))
                if text[index] == container.closer:
                    container.resume, container.end = None, index + 1
                    return False
                if text[index] != ",":
                    raise ValueError("expected ',' or a closing bracket")
                index = self._skip_ws(index + 1)
            elif text[index] == container.closer:
                container.resume, container.end = None, index + 1
                return False
            if container.closer == "}":
                key_at = index
                key, index = scanstring(text, index + 1)
                index = self._skip_ws(index)
                if text[index] != ":":
                    raise ValueError("expected ':'")
                index = self._skip_ws(index + 1)
                container.keyed.setdefault(key, (key_at, index))  # see the docstring
            else:
                container.items.append(index)
            container.resume, container.pending = index, True
            return True
        except (ValueError, IndexError, StopIteration):
            container.resume = None  # not JSON here: the reader has said so already
            return False

    def _skip(self, index: int) -> int:
        """The offset after the value at `index`."""
        known = self._containers.get(index)
        if known is None:
            return int(_scan_once(self.text, index)[1])
        while known.end is None and self._advance(known):
            pass
        if known.end is None:
            raise ValueError("unfinished container")
        return known.end

    def _skip_ws(self, index: int) -> int:
        match = _WS.match(self.text, index)
        return match.end() if match else index


class YamlPositions(_Positions):
    """Positions in YAML text (`offset` lines before it in the file); handles are nodes."""

    def __init__(
        self,
        text: str,
        offset: int = 0,
        refs: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(refs)
        self.text, self.offset = text, offset
        self._root: Any = None
        self._composed = False

    def root(self) -> Any:
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=YamlLoader)
            except yaml.YAMLError:
                self._root = None
        return self._root

    def position(self, handle: Any) -> Position:
        mark = handle.start_mark
        return self.offset + mark.line + 1, mark.column + 1

    def string(self, handle: Any) -> str | None:
        if isinstance(handle, yaml.ScalarNode):
            return str(handle.value)
        return None

    def step(self, node: Any, token: str) -> tuple[Any, Any] | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):  # a repeated key: the last wins
                if isinstance(key, yaml.ScalarNode) and str(key.value) == token:
                    return key, value
            return None
        if (
            isinstance(node, yaml.SequenceNode)
            and token.isdigit()
            and int(token) < len(node.value)
        ):
            item = node.value[int(token)]
            return item, item
        return None


Positions = JsonPositions | YamlPositions
