"""Readers turn one input file into SourceEndpoints; the format is chosen by content.

- JSON with `apifoxProject` / `apidogProject`       -> native (Apifox project export)
- JSON or YAML with `openapi` / `swagger`           -> openapi (YAML: the first line that is
                                                       not a comment starts `openapi:`/`swagger:`)
- Markdown with `## OpenAPI Specification` + YAML   -> openapi (an Apifox doc-site page)
- Markdown with `## METHOD title` headings and widdershins front matter, `Base URLs:` or
  `<a id="opId...">` anchors                        -> markdown (Apifox "Export → Markdown")
- a doc-page export (说明 / 概览 / 参数 sections)       -> docpage
File names are never looked at: exports are renamed freely.
"""

from __future__ import annotations

from pathlib import Path

from generator.diagnostics import Report, fail
from generator.readers import docpage, guard, markdown, native, openapi
from generator.readers.refs import load_json
from generator.readers.source import SourceDocument, SourceEndpoint

__all__ = ["SourceDocument", "SourceEndpoint", "read_file", "read_text"]

ACCEPTED = (
    "an Apifox project export (JSON with 'apifoxProject'), an OpenAPI 3.x / Swagger 2.0 document (JSON or YAML), "
    "an Apifox Markdown export (widdershins), or an Apifox doc-page export (a title line, then 'METHOD /path')"
)


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is dropped), or an error naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise fail(
            name,
            line,
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); expected UTF-8 text",
        ) from None


def read_file(path: Path, name: str, report: Report) -> SourceDocument:
    """Read `path`; `name` is how diagnostics and the registry refer to it."""
    limit = guard.active().max_input_bytes
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
        guard.check_size(data)
    except guard.UnsafeData as exc:
        raise fail(name, exc.line, exc.message) from None
    except OSError as exc:
        raise fail(name, None, f"cannot read the file ({exc.strerror})") from None
    return read_text(decode(data, name), name, report)


def read_text(text: str, name: str, report: Report) -> SourceDocument:
    if text.lstrip().startswith(("{", "[")):
        data = load_json(text, name, ACCEPTED, report=report)
        if native.looks_like(data):
            return native.read(text, name, report, data)
        if openapi.looks_like(data):
            return openapi.read(text, name, report, data)
        raise fail(
            name,
            1,
            f"unrecognised JSON: no 'apifoxProject', 'openapi' or 'swagger' key at the top; expected {ACCEPTED}",
        )
    if openapi.looks_like_yaml(text):
        return openapi.read(text, name, report)
    if openapi.looks_like_docsite(text):
        return openapi.read_docsite(text, name, report)
    if markdown.looks_like(text):
        return markdown.read(text, name, report)
    if docpage.looks_like(text):
        return docpage.read(text, name, report)
    raise fail(name, 1, f"unrecognised input: expected {ACCEPTED}")
