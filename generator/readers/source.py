"""What every reader produces: one endpoint as the source describes it, before normalizing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceEndpoint:
    file: str
    line: int
    title: str
    method: str
    path: str
    description: str = ""
    # {"path": [...], "query": [...], "header": [...], "cookie": [...]}: Apifox parameter objects
    parameters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    request_content_type: str | None = None
    request_schema: dict[str, Any] | None = None
    request_examples: list[Any] = field(default_factory=list)
    request_line: int | None = None
    # [{"code": int, "name": str, "content_type": str, "schema": {...}, "examples": [...], "line": int}]
    responses: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    source_text: str = ""  # used to find the line of a field for diagnostics

    def line_of(self, needle: str, default: int | None = None) -> int | None:
        """First line (1-based) at or after the request body where `needle` occurs."""
        start = self.request_line or 1
        lines = self.source_text.split("\n")
        for number in range(start, len(lines) + 1):
            if needle in lines[number - 1]:
                return number
        return default
