"""Apifox "Export → Markdown" documents (rendered by widdershins).

Layout (details vary with the widdershins build and the UI language):

    ---  front matter (may be mis-indented: it is skipped, never parsed)  ---
    # <project>                      the first H1 that no endpoint follows directly
    Base URLs:                       "* <a href="URL">Env: URL</a>" per environment
    # <folder/sub folder>            "Default" = the root folder
    <a id="opId<operationId>"></a>   only when an operationId is set
    ## <METHOD> <title>
    <METHOD> <path>                  then free description text
    > Body 请求参数 + a fence         ```json = JSON body, ```yaml = form fields
    ### 请求参数 + table              parameters and body fields (`»` marks depth)
    #### 枚举值 + table               |属性|值|, one row per enum value
    > 返回示例, "> <name>", fences    response examples ("> 200 Response" or a response name)
    ### 返回结果 + table              |状态码|状态码含义|说明|数据模型|
    ### 返回数据结构                   "状态码 **200**" + a field table per code
    # 数据模型                         <h2 id="tocS_<name>">, anchors, "### 属性" table

Tables are read by their header text (Chinese or English), never by column position. A type
cell that links a model (`[token](#schematoken)`) becomes a `$ref` to that model, read from the
数据模型 section; a link to no known model falls back to the expanded fields below it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.diagnostics import Report, fail
from generator.readers import guard
from generator.readers.refs import (
    YamlLoader,
    plain_data,
    schema_ref,
    split_url,
    unique_name,
)
from generator.readers.source import (
    SourceBody,
    SourceDocument,
    SourceEndpoint,
    SourceParameter,
    SourceResponse,
)

METHOD_HEADING = re.compile(r"^## ([A-Z]+) (.*)$")
OPERATION_ID = re.compile(r'<a id="opId([^"]*)"></a>')
MODEL_HEADING = re.compile(r'<h2 id="tocS_([^"]*)">(.*?)</h2>')
ANCHOR = re.compile(r'<a id="([^"]*)"></a>')
BASE_URL = re.compile(r'^[*-]\s*<a href="([^"]*)">(.*?)</a>')
STATUS_LINE = re.compile(r"\*\*(\d{3})\*\*")
LINK = re.compile(r"^\[([^\]]*)\]\(#([^)]*)\)$")
SIMPLE_TYPE = re.compile(r"^([A-Za-z]+)(?:\((.+)\))?$")
JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")
LOCATIONS = ("path", "query", "header", "cookie")

MODEL_SECTIONS = ("数据模型", "Data Schema", "Schemas")
SKIPPED_SECTIONS = ("Authentication", "鉴权", "认证")
ROOT_FOLDERS = ("Default", "默认")
BODY, PARAMS, EXAMPLES, RESULTS, STRUCTURE, ENUM, PROPS = (
    "body",
    "params",
    "examples",
    "results",
    "structure",
    "enum",
    "props",
)
MARKERS = {
    "> Body 请求参数": BODY,
    "> Body Parameters": BODY,
    "### 请求参数": PARAMS,
    "### Params": PARAMS,
    "### Parameters": PARAMS,
    "> 返回示例": EXAMPLES,
    "> Response Examples": EXAMPLES,
    "### 返回结果": RESULTS,
    "### Responses": RESULTS,
    "### 返回数据结构": STRUCTURE,
    "### Responses Data Schema": STRUCTURE,
    "#### 枚举值": ENUM,
    "#### Enumerated Values": ENUM,
    "### 属性": PROPS,
    "### Attribute": PROPS,
    "### Properties": PROPS,
}
# Header text -> role; lower-cased, so "Description" and "description" both map.
ROLES = {
    "名称": "name",
    "name": "name",
    "参数名": "name",
    "位置": "in",
    "in": "in",
    "location": "in",
    "类型": "type",
    "type": "type",
    "必选": "required",
    "required": "required",
    "中文名": "title",
    "title": "title",
    "说明": "description",
    "description": "description",
    "约束": "constraint",
    "restrictions": "constraint",
    "状态码": "code",
    "http status code": "code",
    "status": "code",
    "状态码含义": "meaning",
    "meaning": "meaning",
    "数据模型": "model",
    "data schema": "model",
    "schema": "model",
    "属性": "property",
    "property": "property",
    "parameter": "property",
    "值": "value",
    "value": "value",
}
TRUE_WORDS = ("是", "true", "yes", "required")
FENCE_TYPES = {
    "json": "application/json",
    "xml": "application/xml",
    "html": "text/html",
}


def looks_like(text: str) -> bool:
    lines = [line.strip() for line in text.split("\n")]
    if not any(METHOD_HEADING.match(line) for line in lines):
        return False
    front = (
        lines[1 : lines.index("---", 1)]
        if lines and lines[0] == "---" and "---" in lines[1:]
        else []
    )
    return (
        any("widdershins" in line for line in front)
        or "Base URLs:" in lines
        or any(OPERATION_ID.search(line) for line in lines)
    )


def read(text: str, name: str, report: Report) -> SourceDocument:
    return _Reader(text.replace("\r\n", "\n"), name, report).read()


# -- blocks: lines, fences and tables, each with its line number -----------------------------------


@dataclass
class Block:
    kind: str  # "line" | "fence" | "table"
    line: int
    text: str = ""  # a line's text; a fence's language
    body: str = ""  # a fence's content
    rows: list[list[str]] = field(default_factory=list)  # a table's rows, header first


def _blocks(lines: list[str], start: int) -> list[Block]:
    blocks: list[Block] = []
    index = start
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.startswith("```"):
            end = next(
                (i for i in range(index + 1, len(lines)) if lines[i].strip() == "```"),
                len(lines),
            )
            blocks.append(
                Block(
                    "fence",
                    index + 1,
                    stripped[3:].strip().lower(),
                    "\n".join(lines[index + 1 : end]),
                )
            )
            index = end + 1
        elif stripped.startswith("|"):
            end = index
            while end < len(lines) and lines[end].strip().startswith("|"):
                end += 1
            rows = [_cells(row) for row in lines[index:end]]
            blocks.append(
                Block(
                    "table", index + 1, rows=[row for row in rows if not _is_rule(row)]
                )
            )
            index = end
        else:
            blocks.append(Block("line", index + 1, stripped))
            index += 1
    return blocks


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def _is_rule(row: list[str]) -> bool:
    return all(re.fullmatch(r":?-{3,}:?", cell) for cell in row if cell) and any(row)


def _body_start(lines: list[str]) -> int:
    """Index of the first line after the front matter (which is skipped, never parsed)."""
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() == "---":
                return index + 1
    return 0


# -- what one endpoint section holds, before it becomes a SourceEndpoint -----------------------------


@dataclass
class Row:
    line: int
    depth: int
    name: str
    cells: dict[str, str]

    def cell(self, role: str) -> str:
        value = self.cells.get(role, "").strip()
        return "" if value == "none" else value


@dataclass
class Draft:
    method: str
    title: str
    line: int
    folder: list[str]
    operation_id: str | None
    path: str | None = None
    path_line: int | None = None
    request_line: int | None = None
    description: list[str] = field(default_factory=list)
    body_fence: Block | None = None
    params: list[Row] = field(default_factory=list)
    examples: list[tuple[str, Block]] = field(default_factory=list)  # (label, fence)
    results: list[Row] = field(default_factory=list)
    structures: dict[int, list[Row]] = field(default_factory=dict)
    enums: list[Row] = field(default_factory=list)


@dataclass
class ModelDraft:
    name: str
    rows: list[Row] = field(default_factory=list)
    enums: list[Row] = field(default_factory=list)


class _Reader:
    def __init__(self, text: str, name: str, report: Report) -> None:
        self.text, self.name, self.report = text, name, report
        self.lines = text.split("\n")
        self.blocks = _blocks(self.lines, _body_start(self.lines))
        self.drafts: list[Draft] = []
        self.models: list[ModelDraft] = []
        self.anchors: dict[str, str] = {}  # "schematoken" -> model name
        self._taken: set[str] = set()  # model names; a repeated one gets a suffix
        self.servers: list[dict[str, str]] = []

    def read(self) -> SourceDocument:
        self._scan()
        if not self.drafts:
            raise fail(
                self.name,
                1,
                "no endpoint found: expected '## METHOD title' headings followed by a 'METHOD /path' line",
            )
        schemas = {model.name: self._model_schema(model) for model in self.models}
        document = SourceDocument(
            self.name, "apifox-markdown", servers=self.servers, schemas=schemas
        )
        for draft in self.drafts:
            endpoint = self._endpoint(draft)
            if endpoint is not None:
                document.endpoints.append(endpoint)
        if not document.endpoints:
            raise fail(
                self.name,
                self.drafts[0].line,
                "no endpoint could be read: every '## METHOD title' lacks its 'METHOD /path' line",
            )
        return document

    # -- one pass over the blocks, collecting drafts ---------------------------------------

    def _scan(self) -> None:
        self._title = self._title_index()
        self._folder: list[str] = []
        self._mode = "top"  # "top" | "endpoint" | "models" | "skip"
        self._section = ""  # one of the MARKERS' values, "other" or ""
        self._label = ""  # the "> name" above a response example
        self._status: int | None = None  # the code of the current 返回数据结构 table
        self._operation_id: str | None = None
        self._draft: Draft | None = None
        self._model: ModelDraft | None = None
        for index, block in enumerate(self.blocks):
            if block.kind == "line":
                self._on_line(index, block)
            elif block.kind == "fence":
                self._on_fence(block)
            else:
                self._on_table(self._rows(block))

    def _on_line(self, index: int, block: Block) -> None:
        text = block.text
        heading = METHOD_HEADING.match(text)
        operation = OPERATION_ID.search(text)
        if text.startswith("# ") and index != self._title:
            self._on_h1(text[2:].strip())
        elif heading and self._mode != "models":
            self._draft = Draft(
                heading.group(1),
                heading.group(2).strip(),
                block.line,
                list(self._folder),
                self._operation_id,
            )
            self.drafts.append(self._draft)
            self._mode, self._section, self._operation_id, self._label = (
                "endpoint",
                "",
                None,
                "",
            )
        elif operation:
            self._operation_id = operation.group(
                1
            )  # for the endpoint heading that follows
        elif self._mode == "models":
            self._on_model_line(text)
        elif text in MARKERS:
            self._section = MARKERS[text]
            draft = self._draft
            if (
                draft is not None
                and self._section in (BODY, PARAMS)
                and draft.request_line is None
            ):
                draft.request_line = block.line
        elif self._mode == "top" and BASE_URL.match(text):
            self._server(text)
        elif self._mode == "endpoint" and self._draft is not None:
            self._on_endpoint_line(self._draft, block)

    def _on_h1(self, heading: str) -> None:
        """A folder path ("Default" is the root), or the models / auth section."""
        self._draft, self._section = None, ""
        if heading in MODEL_SECTIONS:
            self._mode = "models"
        elif heading in SKIPPED_SECTIONS:
            self._mode = "skip"
        else:
            self._mode = "top"
            self._folder = (
                []
                if heading in ROOT_FOLDERS
                else [part.strip() for part in heading.split("/") if part.strip()]
            )

    def _on_endpoint_line(self, draft: Draft, block: Block) -> None:
        text = block.text
        status = STATUS_LINE.search(text)
        if self._section == EXAMPLES and text.startswith(">"):
            self._label = text.lstrip("> ").strip()
        elif self._section == STRUCTURE and status:
            self._status = int(status.group(1))
        elif not self._section:
            self._description_line(draft, block)
        elif text.startswith("#"):
            self._section = "other"

    def _on_model_line(self, text: str) -> None:
        """`<h2 id="tocS_<name>">` starts a model; its `<a id=...>` anchors are link targets."""
        heading = MODEL_HEADING.search(text)
        if heading:
            self._model = ModelDraft(
                unique_name(
                    html.unescape(heading.group(2)).strip() or heading.group(1),
                    self._taken,
                )
            )
            self.models.append(self._model)
            self.anchors["schema" + heading.group(1).lower()] = self._model.name
            self._section = ""
        elif self._model is not None and ANCHOR.search(text):
            for anchor in ANCHOR.findall(text):
                self.anchors.setdefault(anchor.lower(), self._model.name)
        elif text in MARKERS:
            self._section = MARKERS[text]

    def _on_fence(self, block: Block) -> None:
        draft = self._draft
        if self._mode != "endpoint" or draft is None:
            return  # models' sample JSON: the 属性 table says more
        if self._section == BODY and draft.body_fence is None:
            draft.body_fence = block
        elif self._section == EXAMPLES:
            draft.examples.append((self._label, block))

    def _on_table(self, rows: list[Row]) -> None:
        draft, model = self._draft, self._model
        if self._mode == "endpoint" and draft is not None:
            if self._section == PARAMS:
                draft.params += rows
            elif self._section == RESULTS:
                draft.results += rows
            elif self._section == STRUCTURE and self._status is not None:
                draft.structures.setdefault(self._status, []).extend(rows)
            elif self._section == ENUM:
                draft.enums += rows
        elif self._mode == "models" and model is not None:
            if self._section == PROPS:
                model.rows += rows
            elif self._section == ENUM:
                model.enums += rows

    def _title_index(self) -> int | None:
        """The project title: the first H1, unless an endpoint heading follows it directly
        (then it is a folder and the document has no title)."""
        headings = [
            (i, b.text)
            for i, b in enumerate(self.blocks)
            if b.kind == "line"
            and (b.text.startswith("# ") or METHOD_HEADING.match(b.text))
        ]
        for position, (index, text) in enumerate(headings):
            if text.startswith("# "):
                following = (
                    headings[position + 1][1] if position + 1 < len(headings) else ""
                )
                return None if METHOD_HEADING.match(following) else index
        return None

    def _description_line(self, draft: Draft, block: Block) -> None:
        """The 'METHOD /path' line, then free text until the first section marker."""
        if draft.path is None:
            match = re.match(r"^([A-Z]+)\s+(\S+)$", block.text)
            if match and match.group(1) == draft.method:
                draft.path, draft.path_line = match.group(2), block.line
            elif block.text:
                draft.description.append(block.text)
            return
        draft.description.append(self.lines[block.line - 1].rstrip())

    def _server(self, text: str) -> None:
        match = BASE_URL.match(text)
        assert match is not None
        url, label = html.unescape(match.group(1)).strip(), html.unescape(
            match.group(2)
        )
        label = (
            label[: -len(url)].rstrip(": ").strip() if label.endswith(url) else label
        )
        if url and all(server["url"] != url for server in self.servers):
            self.servers.append({"name": label or url, "url": url})

    def _rows(self, block: Block) -> list[Row]:
        """A table's body rows keyed by role; the name cell's `»` give the depth."""
        if not block.rows:
            return []
        roles = [
            ROLES.get(cell.strip().lower(), cell.strip().lower())
            for cell in block.rows[0]
        ]
        rows = []
        for offset, cells in enumerate(block.rows[1:], start=1):
            by_role = {
                role: cells[i] if i < len(cells) else "" for i, role in enumerate(roles)
            }
            raw_name = by_role.get("name", by_role.get("property", ""))
            marks = re.match(r"^((?:»\s*)*)(.*)$", raw_name)
            assert marks is not None
            name = re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", marks.group(2).strip())
            rows.append(
                Row(block.line + offset + 1, marks.group(1).count("»"), name, by_role)
            )
        return rows

    # -- schemas from field tables ---------------------------------------------------------

    def _model_schema(self, model: ModelDraft) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": {}}
        self._build(model.rows, schema, root_depth=-1)
        _apply_enums(model.enums, [schema])
        return schema

    def _type(self, cell: str) -> dict[str, Any]:
        """A type cell: `string`, `string(date-time)`, `[string]`, `[token](#schematoken)`,
        `[[session](#schemasession)]`, `string¦null` (U+00A6 joins union members)."""
        cell = cell.strip()
        if cell in ("", "none"):
            return {}
        if "¦" in cell:
            members = [self._type(part) for part in cell.split("¦")]
            if all(
                set(member) == {"type"} and isinstance(member["type"], str)
                for member in members
            ):
                return {"type": [member["type"] for member in members]}
            return {"anyOf": members}
        link = LINK.match(cell)
        if link:
            target = self.anchors.get(link.group(2).lower())
            return schema_ref(target) if target is not None else {"type": "object"}
        if cell.startswith("[") and cell.endswith("]"):
            return {"type": "array", "items": self._type(cell[1:-1])}
        simple = SIMPLE_TYPE.match(cell)
        if simple and simple.group(1).lower() in JSON_TYPES:
            schema: dict[str, Any] = {"type": simple.group(1).lower()}
            if simple.group(2):
                schema["format"] = simple.group(2)
            return schema
        if simple and simple.group(1).lower() == "file":
            return {"type": "string", "format": "binary"}
        return {}

    def _field(self, row: Row) -> dict[str, Any]:
        schema = self._type(row.cell("type"))
        if row.cell("title"):
            schema["title"] = row.cell("title")
        if row.cell("description"):
            schema["description"] = row.cell("description")
        return schema

    def _build(self, rows: list[Row], root: dict[str, Any], root_depth: int) -> None:
        """Nest rows under `root` by their `»` depth; rows deeper than root_depth are fields."""
        stack: list[tuple[int, dict[str, Any] | None]] = [(root_depth, root)]
        for row in rows:
            while len(stack) > 1 and stack[-1][0] >= row.depth:
                stack.pop()
            schema = self._field(row)
            parent = stack[-1][1]
            if row.name == "*anonymous*":
                if row.depth <= root_depth:  # the row describes the root itself
                    root.clear()
                    root.update(schema)
                    stack = [(root_depth, root)]
                elif parent is not None and parent.get("type") == "array":
                    parent["items"] = schema
                    stack.append((row.depth, schema))
                else:
                    stack.append((row.depth, parent))
                continue
            target = (
                _container(parent)
                if parent is not None and row.depth > root_depth
                else None
            )
            if target is None:
                stack.append(
                    (row.depth, None)
                )  # under a $ref or a scalar: the model says it all
                continue
            target["properties"][row.name] = schema
            if row.cell("required").lower() in TRUE_WORDS:
                target.setdefault("required", []).append(row.name)
            stack.append((row.depth, schema))

    # -- one endpoint ----------------------------------------------------------------------

    def _endpoint(self, draft: Draft) -> SourceEndpoint | None:
        if draft.path is None:
            self.report.warn(
                self.name,
                draft.line,
                f"'## {draft.method} {draft.title}' has no '{draft.method} /path' line below it; skipped",
            )
            return None
        base, path = split_url(draft.path)
        endpoint = SourceEndpoint(
            file=self.name,
            line=draft.line,
            title=draft.title or f"{draft.method} {path}",
            method=draft.method,
            path=path,
            description="\n".join(draft.description).strip(),
            source_id=draft.operation_id or None,
            folder=draft.folder,
            servers=[base] if base else [server["url"] for server in self.servers],
            request_line=draft.request_line,
            source_text=self.text,
        )
        endpoint.parameters = self._parameters(draft)
        endpoint.request = self._body(draft)
        endpoint.responses = self._responses(draft)
        schemas = [p.schema for p in endpoint.parameters] + [
            r.schema for r in endpoint.responses
        ]
        if endpoint.request is not None and endpoint.request.schema is not None:
            schemas.append(endpoint.request.schema)
        _apply_enums(draft.enums, schemas)
        return endpoint

    def _parameters(self, draft: Draft) -> list[SourceParameter]:
        params = []
        for row in draft.params:
            location = row.cell("in")
            if row.depth == 0 and location in LOCATIONS:
                description = row.cell("description") or row.cell("title")
                params.append(
                    SourceParameter(
                        row.name,
                        location,
                        location == "path"
                        or row.cell("required").lower() in TRUE_WORDS,
                        description,
                        self._type(row.cell("type")) or {"type": "string"},
                    )
                )
        return params

    def _body(self, draft: Draft) -> SourceBody | None:
        rows = [row for row in draft.params if row.cell("in") in ("body", "formData")]
        fence = draft.body_fence
        if not rows and fence is None:
            return None
        root: dict[str, Any] = {"type": "object", "properties": {}}
        fields = []
        stated = False  # a `body` row says what the body itself is
        for row in rows:
            if row.depth == 0 and row.name == "body" and row.cell("in") == "body":
                root = self._type(row.cell("type")) or root  # the body itself
                stated = True
            else:  # form fields of a Swagger 2 import sit at depth 0: one level below the body
                fields.append(
                    Row(
                        row.line,
                        row.depth + (1 if row.cell("in") == "formData" else 0),
                        row.name,
                        row.cells,
                    )
                )
        examples = [] if fence is None else [_fence_value(fence)]
        if not stated and fields and _array_root(fields, examples):
            root = {"type": "array", "items": root}
        self._build(fields, root, root_depth=0)
        language = fence.text if fence is not None else "json"
        if language == "yaml":  # form fields are rendered as YAML
            binary = any(
                isinstance(p, dict) and p.get("format") == "binary"
                for p in (root.get("properties") or {}).values()
            )
            kind = (
                "multipart/form-data" if binary else "application/x-www-form-urlencoded"
            )
        else:
            kind = FENCE_TYPES.get(
                language, "application/json" if language == "json" else "text/plain"
            )
        return SourceBody(
            kind,
            root if rows or kind != "text/plain" else {"type": "string"},
            [e for e in examples if e is not None],
        )

    def _responses(self, draft: Draft) -> list[SourceResponse]:
        responses: dict[int, SourceResponse] = {}
        for row in draft.results:
            code = re.search(r"\d{3}", row.cell("code"))
            if code is None or int(code.group()) in responses:
                continue
            number = int(code.group())
            schema: dict[str, Any] = {}
            if draft.structures.get(number):
                schema = {"type": "object", "properties": {}}
                self._build(draft.structures[number], schema, root_depth=0)
            else:
                schema = (
                    self._type(row.cell("model"))
                    if LINK.match(row.cell("model"))
                    else {}
                )
                schema = schema if "$ref" in schema else {}
            meaning = re.sub(
                r"^\[([^\]]*)\]\([^)]*\)$", r"\1", row.cell("meaning")
            )  # "[OK](https://...rfc7231...)"
            responses[number] = SourceResponse(
                number, row.cell("description") or meaning, "application/json", schema
            )
        for label, fence in draft.examples:
            number = self._example_code(label, draft, responses)
            response = responses.setdefault(
                number, SourceResponse(number, label, "application/json", {})
            )
            if fence.text not in ("", "json") and not response.examples:
                response.content_type = FENCE_TYPES.get(fence.text, "text/plain")
            value = _fence_value(fence)
            if value is not None:
                response.examples.append(value)
        for number, response in responses.items():
            rows = draft.structures.get(number) or []
            if rows and _array_root(rows, response.examples):
                response.schema = {"type": "array", "items": response.schema}
        return list(responses.values())

    def _example_code(
        self, label: str, draft: Draft, responses: dict[int, SourceResponse]
    ) -> int:
        """'200 Response' names its code; '成功' names a response by its 说明; else the first."""
        match = re.search(r"(?<!\d)([1-5]\d\d)(?!\d)", label)
        if match:
            return int(match.group(1))
        for code, response in responses.items():
            if response.name and response.name == label:
                return code
        return next(iter(responses), 200)


def _array_root(rows: list[Row], examples: list[Any]) -> bool:
    """Whether a field table describes the items of a top-level array. widdershins writes no
    row for the root of an object or of an array of inline objects: the items' fields sit at
    depth 1 (`» id`) either way. A root row (depth 0) says what the root is; without one, the
    JSON examples do: every one an array (`[ {...} ]`) means an array of such objects.
    """
    if any(row.depth == 0 for row in rows):
        return False
    return bool(examples) and all(isinstance(example, list) for example in examples)


def _container(node: dict[str, Any] | None) -> dict[str, Any] | None:
    """Where a child field goes: the object itself, or an array's object items; None under a
    $ref (the model already lists the fields) or a scalar."""
    if node is None or "$ref" in node:
        return None
    if node.get("type") == "array":
        items = node.setdefault("items", {})
        if "$ref" in items or items.get("type") not in (None, "object"):
            return None
        node = items
    if node.get("type") not in (None, "object"):
        return None
    node["type"] = "object"
    node.setdefault("properties", {})
    return node


def _apply_enums(rows: list[Row], schemas: list[dict[str, Any]]) -> None:
    """`|属性|值|` rows: each value is added to the enum of every field with that name."""
    values: dict[str, list[Any]] = {}
    for row in rows:
        values.setdefault(row.name, []).append(row.cells.get("value", "").strip())
    if values:
        for schema in schemas:
            _set_enums(schema, values)


def _set_enums(schema: Any, values: dict[str, list[Any]]) -> None:
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if name in values and isinstance(prop, dict) and "$ref" not in prop:
            prop["enum"] = [_typed(value, prop.get("type")) for value in values[name]]
        _set_enums(prop, values)
    _set_enums(schema.get("items"), values)


def _typed(value: str, kind: Any) -> Any:
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        pass
    return value


def _fence_value(fence: Block) -> Any:
    """A JSON fence parsed (a bare string too); YAML form fields parsed; else the text.
    Mock templates (`{% mock ... %}`) make JSON invalid: the text is kept."""
    body = fence.body.strip()
    if not body:
        return None
    if fence.text == "json":
        try:
            return guard.json_loads(body)
        except ValueError:  # not JSON, or JSON the guard refuses: kept as text
            return body
    if fence.text == "yaml":
        try:
            guard.check_yaml(body, YamlLoader)
            return plain_data(yaml.load(body, Loader=YamlLoader))
        except (yaml.YAMLError, ValueError):
            return body
    return body
