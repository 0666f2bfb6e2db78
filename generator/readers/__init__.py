"""Readers turn one input file into SourceEndpoints; the format is chosen by content."""

from __future__ import annotations

from pathlib import Path

from generator.diagnostics import Report, fail
from generator.readers import docpage
from generator.readers.source import SourceDocument, SourceEndpoint

__all__ = ["SourceDocument", "SourceEndpoint", "read_file"]


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is dropped), or an error naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise fail(name, line, f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); expected UTF-8 text") from None


def read_file(path: Path, name: str, report: Report) -> SourceDocument:
    """Read `path`; `name` is how diagnostics and the registry refer to it."""
    text = decode(path.read_bytes(), name)
    if docpage.looks_like(text):
        return docpage.read(text, name, report)
    raise fail(name, 1, "unrecognised input: expected an Apifox doc-page export (a path line, then 'METHOD /path')")
