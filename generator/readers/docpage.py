"""Apifox doc-page exports: a title line, 'METHOD /path', then sections with JSON blocks.

Two layouts occur in real exports: the overview as a pipe table (`| Method | POST |`) with
one-line JSON, and as run-together lines (`MethodPOST`) with pretty-printed JSON and blank
lines between everything. Both are read by the same code: sections are found by their
header lines and each JSON block is parsed whole, whatever its layout.
"""

from __future__ import annotations

import json
import re
from typing import Any

from generator.diagnostics import Report, fail
from generator.readers import guard
from generator.readers.source import (
    SourceBody,
    SourceDocument,
    SourceEndpoint,
    SourceParameter,
    SourceResponse,
)

DESCRIPTION, OVERVIEW, PARAMETERS, BODY, RESPONSES, EXAMPLES = (
    "说明",
    "概览",
    "参数",
    "请求体",
    "响应",
    "响应示例",
)
SECTIONS = (DESCRIPTION, OVERVIEW, PARAMETERS, BODY, RESPONSES, EXAMPLES)
OVERVIEW_KEYS = ("Method", "Path", "Type", "Status", "Module", "Folder")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
BODY_METHODS = ("POST", "PUT", "PATCH")
HEADING = re.compile(r"^([A-Za-z]+)\s+(\S+)\s*$")


def lines_of(text: str) -> list[str]:
    """Lines as editors number them: only \n (and \r\n) end a line. str.splitlines would also
    split on U+2028 and friends, which real exports carry inside JSON strings."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def looks_like(text: str) -> bool:
    head = [line.strip() for line in lines_of(text)[:40]]
    return any(line in (DESCRIPTION, OVERVIEW, PARAMETERS) for line in head)


def read(text: str, name: str, report: Report | None = None) -> SourceDocument:
    return SourceDocument(name, "apifox-docpage", [read_endpoint(text, name, report)])


def read_endpoint(text: str, name: str, report: Report | None = None) -> SourceEndpoint:
    report = report or Report()
    lines = lines_of(text)
    sections = _split_sections(lines, name)
    title = next((line.strip() for line in lines if line.strip()), "")
    heading_method, heading_path, heading_line = _heading(lines)
    overview = _overview(sections.get(OVERVIEW))
    method, method_line = overview.get("Method", (heading_method, heading_line))
    path, path_line = overview.get("Path", (heading_path, heading_line))
    overview_line = sections[OVERVIEW][0] if OVERVIEW in sections else heading_line or 1
    if not method:
        raise fail(
            name,
            overview_line,
            "no method: expected a 'Method' row in 概览 (e.g. '| Method | POST |')",
        )
    if method.upper() not in METHODS:
        raise fail(
            name,
            method_line,
            f"unknown HTTP method {method!r}: expected one of {', '.join(METHODS)}",
        )
    if not path:
        raise fail(
            name,
            overview_line,
            "no path: expected a 'Path' row in 概览 (e.g. '| Path | /fal-ai/flux-lora |')",
        )
    if not path.startswith("/"):
        raise fail(name, path_line, f"path {path!r} does not start with '/'")
    method = method.upper()

    endpoint = SourceEndpoint(
        file=name,
        line=1,
        title=title,
        method=method,
        path=path,
        description=_text(sections.get(DESCRIPTION)),
        meta={
            key: value
            for key, (value, _) in sorted(overview.items())
            if key not in ("Method", "Path")
        },
        source_text=text,
    )
    endpoint.parameters = _parameters(sections, name)
    _read_body(endpoint, sections, name, report)
    _read_responses(endpoint, sections, name, report)
    return endpoint


Section = tuple[int, list[str]]  # (line number of the header, the lines after it)


def _split_sections(lines: list[str], name: str) -> dict[str, Section]:
    sections: dict[str, Section] = {}
    current: list[str] | None = None
    for number, line in enumerate(lines, start=1):
        header = line.strip()
        if header in SECTIONS:
            if header in sections and header != OVERVIEW:
                raise fail(
                    name,
                    number,
                    f"section {header} appears twice: expected each section once",
                )
            # The run-together layout repeats 概览 after 说明; the later copy wins.
            current = []
            sections[header] = (number, current)
        elif current is not None:
            current.append(line)
    return sections


def _heading(lines: list[str]) -> tuple[str, str, int | None]:
    for number, line in enumerate(lines[:6], start=1):
        match = HEADING.match(line.strip())
        if match and match.group(2).startswith("/"):
            return match.group(1), match.group(2), number
    return "", "", None


def _overview(section: Section | None) -> dict[str, tuple[str, int]]:
    """Overview rows as {key: (value, line)}, from either layout."""
    if section is None:
        return {}
    start, lines = section
    rows: dict[str, tuple[str, int]] = {}
    for offset, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if len(cells) >= 2 and cells[0] in OVERVIEW_KEYS:
                rows[cells[0]] = (cells[1], start + offset)
            continue
        for key in OVERVIEW_KEYS:
            if line.startswith(key):
                rows[key] = (line[len(key) :].strip(), start + offset)
                break
    return rows


def _text(section: Section | None) -> str:
    return "" if section is None else "\n".join(section[1]).strip()


def _json(section: Section, name: str, header: str, expected: str) -> Any:
    start, lines = section
    text = "\n".join(lines)
    if not text.strip():
        raise fail(name, start, f"section {header} is empty: expected {expected}")
    try:
        return guard.json_loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            name,
            start + exc.lineno,
            f"section {header}: invalid JSON ({exc.msg}, column {exc.colno}): expected {expected}",
        ) from None
    except guard.UnsafeData as exc:
        line = exc.line_in(text)
        raise fail(
            name,
            start if line is None else start + line,
            f"section {header}: {exc.message}",
            exc.pointer,
        ) from None


def _parameters(sections: dict[str, Section], name: str) -> list[SourceParameter]:
    if PARAMETERS not in sections:
        return []
    data = _json(
        sections[PARAMETERS],
        name,
        PARAMETERS,
        'an object like {"path": [], "query": []}',
    )
    if not isinstance(data, dict):
        raise fail(
            name,
            sections[PARAMETERS][0] + 1,
            'section 参数: expected an object like {"path": [], "query": []}',
        )
    params = []
    for location in ("path", "query", "header", "cookie"):
        listed = data.get(location) or []
        if not isinstance(listed, list):
            raise fail(
                name,
                sections[PARAMETERS][0] + 1,
                f"section 参数: {location!r} is a {type(listed).__name__}; expected a list of parameters",
                f"/{location}",
            )
        for item in listed:
            if (
                not isinstance(item, dict)
                or item.get("enable") is False
                or not item.get("name")
            ):
                continue
            given = item.get("schema")
            schema: dict[str, Any] = (
                given
                if isinstance(given, dict)
                else {"type": item.get("type") or "string"}
            )
            params.append(
                SourceParameter(
                    name=str(item["name"]),
                    location=location,
                    required=bool(item.get("required", location == "path")),
                    description=str(item.get("description") or ""),
                    schema=schema,
                    example=item.get("example"),
                )
            )
    return params


def _read_body(
    endpoint: SourceEndpoint, sections: dict[str, Section], name: str, report: Report
) -> None:
    if BODY not in sections:
        if endpoint.method in BODY_METHODS:
            raise fail(
                name,
                None,
                f"no 请求体 section: a {endpoint.method} endpoint needs its request body described",
            )
        return
    start = sections[BODY][0]
    body = _json(sections[BODY], name, BODY, 'an object with "type" and "jsonSchema"')
    if not isinstance(body, dict) or "type" not in body:
        raise fail(
            name,
            start + 1,
            'section 请求体: expected an object with "type" and "jsonSchema"',
        )
    endpoint.request_line = start
    content_type = body.get("type") or "none"
    if content_type == "none":
        return
    schema = body.get("jsonSchema")
    request = SourceBody(content_type, schema if isinstance(schema, dict) else None)
    for index, example in enumerate(body.get("examples") or []):
        value = example.get("value") if isinstance(example, dict) else None
        parsed = _json_string(value)
        if parsed is _UNPARSED:
            report.warn(
                name,
                start,
                f"request example {index} is not valid JSON; it was left out",
                f"/examples/{index}/value",
            )
        else:
            request.examples.append(parsed)
    endpoint.request = request


def _read_responses(
    endpoint: SourceEndpoint, sections: dict[str, Section], name: str, report: Report
) -> None:
    if RESPONSES not in sections:
        return
    start = sections[RESPONSES][0]
    responses = _json(sections[RESPONSES], name, RESPONSES, "a list of responses")
    if not isinstance(responses, list):
        raise fail(name, start + 1, "section 响应: expected a list of responses")
    examples: list[Any] = []
    if EXAMPLES in sections:
        examples = _json(
            sections[EXAMPLES], name, EXAMPLES, "a list of response examples"
        )
        if not isinstance(examples, list):
            raise fail(
                name,
                sections[EXAMPLES][0] + 1,
                "section 响应示例: expected a list of response examples",
            )
    for index, response in enumerate(responses):
        if not isinstance(response, dict) or not isinstance(
            response.get("code"), (int, float)
        ):
            raise fail(
                name,
                start + 1,
                f"response {index}: expected an object with a numeric 'code'",
                f"/{index}",
            )
        own = [
            ex
            for ex in examples
            if isinstance(ex, dict) and ex.get("responseId") == response.get("id")
        ]
        parsed_examples = []
        for example in own:
            parsed = _json_string(example.get("data"))
            if parsed is _UNPARSED:
                report.warn(
                    name,
                    sections[EXAMPLES][0],
                    f"response example {example.get('name')!r} is not JSON; kept as text",
                )
                parsed = example.get("data")
            parsed_examples.append(parsed)
        schema = response.get("jsonSchema")
        endpoint.responses.append(
            SourceResponse(
                code=int(response["code"]),
                name=str(response.get("name") or ""),
                content_type=_MEDIA_TYPES.get(
                    str(response.get("contentType")), "application/json"
                ),
                schema=schema if isinstance(schema, dict) else {},
                examples=parsed_examples,
            )
        )


_MEDIA_TYPES = {
    "json": "application/json",
    "xml": "application/xml",
    "html": "text/html",
    "raw": "text/plain",
}
_UNPARSED = object()


def _json_string(value: Any) -> Any:
    """Apifox stores examples as JSON text (CRLF inside); anything else is returned as it is."""
    if not isinstance(value, str):
        return value if value is not None else _UNPARSED
    try:
        return guard.json_loads(value)
    except ValueError:  # not JSON, or JSON the guard refuses
        return _UNPARSED
