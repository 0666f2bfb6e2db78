"""OpenAPI 3.0 / 3.1 and Swagger 2.0 documents, JSON or YAML, as Apifox writes them.

Apifox's `x-apifox-*` extensions are optional (an export option): `x-apifox-folder` gives the
folder (else the first tag, as Apifox itself falls back), `x-apifox-status` the status, and
`x-run-in-apifox` the native api id when there is no operationId. Non-OAS methods (`copy`,
`move`) are path-item keys like any other.

Choices where the documents are loose:
- Response keys: the first 3-digit status code found in the key is used (`"200 "`,
  `"x-200:成功"`); the first response per code wins. `default` and other keys without a code
  (`2XX`) are left out with a warning: they name no status a client can be generated for.
- A request body is required unless it says `required: false` (Apifox never writes the key).
- Of several media types, the first JSON one is taken, else the first one.
- A component key keeps its text, except that `/`, `~` and `%` become `_` (refs.unique_name).
- `nullable: true` becomes a type list; a `$ref` with siblings keeps both (siblings untouched).

Also read here: an Apifox doc-site page (`<site>/api-<id>.md`), a Markdown page whose
`## OpenAPI Specification` section is a single-operation OpenAPI document in a YAML fence.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import yaml

from generator.diagnostics import Report, fail
from generator.readers import external, guard, security
from generator.readers.positions import JsonPositions
from generator.readers.refs import (
    SchemaFixer,
    YamlLoader,
    as_dict,
    load_json,
    node_at,
    plain_data,
    pointer,
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

EXPECTED = "an OpenAPI 3.x or Swagger 2.0 document"
LOCATIONS = ("path", "query", "header", "cookie")
NOT_METHODS = ("parameters", "servers", "summary", "description", "$ref")
OAS_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
DOCSITE_HEADING = "## OpenAPI Specification"
_YAML_START = re.compile(r"^(openapi|swagger)\s*:", re.M)
_RUN_LINK = re.compile(r"/apis/api-(\d+)")


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and ("openapi" in data or "swagger" in data)


def looks_like_yaml(text: str) -> bool:
    """YAML OpenAPI starts with `openapi:` / `swagger:` after comments and blank lines."""
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped != "---":
            return bool(_YAML_START.match(stripped))
    return False


def looks_like_docsite(text: str) -> bool:
    return docsite_block(text) is not None


def read(text: str, name: str, report: Report, data: Any = None) -> SourceDocument:
    lines: dict[tuple[str, str], int] = {}
    if data is None:
        if text.lstrip().startswith("{"):
            data = load_json(text, name, EXPECTED, report=report)
        else:
            data, lines = _load_yaml(text, name, 0)
    return _read_data(
        text, name, report, data, lines, is_json=text.lstrip().startswith("{")
    )


def read_docsite(text: str, name: str, report: Report) -> SourceDocument:
    """An Apifox doc-site page: the YAML fence after `## OpenAPI Specification`."""
    block = docsite_block(text)
    if block is None:
        raise fail(name, 1, f"no YAML block after '{DOCSITE_HEADING}'")
    first_line, yaml_text = block
    data, lines = _load_yaml(yaml_text, name, first_line - 1)
    return _read_data(text, name, report, data, lines, is_json=False)


def _read_data(
    text: str,
    name: str,
    report: Report,
    data: Any,
    lines: dict[tuple[str, str], int],
    is_json: bool,
) -> SourceDocument:
    if not looks_like(data):
        raise fail(
            name, 1, f"no 'openapi' or 'swagger' key at the top: expected {EXPECTED}"
        )
    if not isinstance(data.get("paths"), dict):
        raise fail(
            name,
            lines.get(("", ""), 1),
            f"'paths' is missing or not an object: expected {EXPECTED}",
        )
    return _Document(text, name, report, data, lines, is_json).read()


# -- loading ---------------------------------------------------------------------------------------


def _load_yaml(
    text: str, name: str, offset: int
) -> tuple[Any, dict[tuple[str, str], int]]:
    """The data and the line of each (path, method) key; `offset` = lines before `text`."""
    try:
        guard.check_yaml(text, YamlLoader)
        root = yaml.compose(text, Loader=YamlLoader)
        data = yaml.load(text, Loader=YamlLoader)
    except guard.UnsafeData as exc:
        raise fail(
            name, offset + (exc.line or 1), f"{exc.message}", exc.pointer
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = offset + (mark.line + 1 if mark is not None else 1)
        raise fail(
            name, line, f"invalid YAML ({exc.problem}); expected {EXPECTED}"
        ) from None
    except yaml.YAMLError as exc:
        raise fail(
            name, offset + 1, f"invalid YAML ({exc}); expected {EXPECTED}"
        ) from None
    return plain_data(data), _yaml_lines(root, offset)


def _yaml_lines(root: Any, offset: int) -> dict[tuple[str, str], int]:
    lines: dict[tuple[str, str], int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value == "paths" and isinstance(value, yaml.MappingNode):
            lines[("", "")] = offset + key.start_mark.line + 1
            for path_key, item in value.value:
                lines[(str(path_key.value), "")] = offset + path_key.start_mark.line + 1
                if isinstance(item, yaml.MappingNode):
                    for method_key, _ in item.value:
                        lines[(str(path_key.value), str(method_key.value).lower())] = (
                            offset + method_key.start_mark.line + 1
                        )
    return lines


def docsite_block(text: str) -> tuple[int, str] | None:
    """(line of the block's first line, the YAML) of the fence after the heading: the OpenAPI
    document an Apifox doc-site page embeds (findings locates nodes in it). None without one.
    """
    lines = text.split("\n")
    try:
        start = next(
            i for i, line in enumerate(lines) if line.strip() == DOCSITE_HEADING
        )
    except StopIteration:
        return None
    for open_at in range(start + 1, len(lines)):
        if lines[open_at].strip().startswith("```"):
            for close_at in range(open_at + 1, len(lines)):
                if lines[close_at].strip() == "```":
                    body = "\n".join(lines[open_at + 1 : close_at])
                    return (open_at + 2, body) if _YAML_START.search(body) else None
            return None
    return None


# -- the document ----------------------------------------------------------------------------------


class _Document:
    def __init__(
        self,
        text: str,
        name: str,
        report: Report,
        data: dict[str, Any],
        lines: dict[tuple[str, str], int],
        is_json: bool,
    ) -> None:
        self.text, self.name, self.report, self.data = text, name, report, data
        self.lines, self.is_json = lines, is_json
        self.positions = JsonPositions(text) if is_json else None
        self.swagger2 = "swagger" in data and "openapi" not in data
        models = (
            as_dict(data.get("definitions"))
            if self.swagger2
            else as_dict(as_dict(data.get("components")).get("schemas"))
        )
        where = "/definitions" if self.swagger2 else "/components/schemas"
        names: dict[str, str] = {}
        taken: set[str] = set()
        for key in models:
            names[str(key)] = unique_name(str(key), taken)
        self.fixer = SchemaFixer(
            name,
            report,
            {names[str(key)]: schema for key, schema in models.items()},
            inline=self._lookup,
            pointers={names[str(key)]: where + pointer(str(key)) for key in models},
            source_names=names,
        )
        self.servers = self._servers(data)
        self.document = SourceDocument(name, "openapi", servers=self.servers)
        self._read_security(data)
        tags = data.get("tags")
        for tag in tags if isinstance(tags, list) else []:
            # a tag's description, for the folder an operation with that first tag is in
            if isinstance(tag, dict) and isinstance(tag.get("name"), str):
                said = tag.get("description")
                folder = _folder({"tags": [tag["name"]]})
                if folder and isinstance(said, str) and said.strip():
                    self.document.groups.append((folder, said.strip()))

    def read(self) -> SourceDocument:
        for path, item in self.data["paths"].items():
            item = self._deref(item)
            if not isinstance(item, dict):
                continue
            for method, operation in item.items():
                if (
                    method in NOT_METHODS
                    or str(method).startswith("x-")
                    or not isinstance(operation, dict)
                ):
                    continue
                if str(method).lower() not in OAS_METHODS:
                    if (
                        not re.fullmatch(r"[A-Za-z]+", str(method))
                        or str(method).lower()
                        == "connect"  # opens a tunnel: no API call
                        or not isinstance(operation.get("responses"), dict)
                    ):
                        self.report.warn(
                            self.name,
                            self._line(str(path), str(method)),
                            f"path item key {method!r} is neither an OpenAPI method ({', '.join(OAS_METHODS)}) nor an operation; skipped",
                            "/paths" + pointer(str(path), str(method)),
                        )
                        continue
                    self.report.warn(
                        self.name,
                        self._line(str(path), str(method)),
                        f"{method!r} is not an OpenAPI method ({', '.join(OAS_METHODS)}); read as the HTTP method {str(method).upper()}, as Apifox writes WebDAV methods",
                        "/paths" + pointer(str(path), str(method)),
                    )
                self._add(str(path), str(method), operation, item)
        self.document.schemas = self.fixer.schemas()
        return self.document

    # -- refs outside the schemas (parameters, bodies, responses, examples) ----------------

    def _lookup(self, ref: str) -> Any:
        """The value a local ref points at (percent- and pointer-decoded), or None."""
        if not ref.startswith("#/"):
            # another file: only a project file, and only when the config allows it
            return (
                external.load_ref(ref, self.name) if external.is_external(ref) else None
            )
        return node_at(self.data, unquote(ref)[1:])

    def _deref(self, value: Any, line: int | None = None, where: str = "") -> Any:
        """Follow `$ref`s of a parameter/body/response/example object. A ref that points at
        nothing or at itself is an error: leaving the object out would make a different client.
        """
        seen: list[str] = []
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if ref in seen:
                raise fail(
                    self.name,
                    line,
                    f"$ref {ref!r} refers to itself ({' -> '.join([*seen, ref])}); expected it to end at an object",
                    where,
                )
            target = self._lookup(ref)
            if target is None:
                raise fail(
                    self.name,
                    line,
                    f"$ref {ref!r} points at nothing in this file; expected a local reference to an existing object",
                    where,
                )
            seen.append(ref)
            value = target
        return value

    # -- one operation ---------------------------------------------------------------------

    def _add(
        self,
        raw_path: str,
        method: str,
        operation: dict[str, Any],
        item: dict[str, Any],
    ) -> None:
        where = "/paths" + pointer(raw_path, method)
        line = self._line(raw_path, method)
        base, path = split_url(raw_path)
        status = str(operation.get("x-apifox-status") or "")
        endpoint = SourceEndpoint(
            file=self.name,
            line=line,
            title=str(
                operation.get("summary")
                or operation.get("operationId")
                or f"{method.upper()} {path}"
            ),
            method=method.upper(),
            path=path,
            description=str(operation.get("description") or ""),
            pointer=where,
            prose_constraints=False,
            source_id=_source_id(operation),
            folder=_folder(operation),
            tags=[
                str(tag)
                for tag in operation.get("tags") or []
                if isinstance(tag, (str, int))
            ],
            status=status,
            deprecated=operation.get("deprecated") is True
            or status in ("deprecated", "obsolete"),
            servers=self._endpoint_servers(base, operation, item),
            source_text=self.text,
        )
        raw_params = self._merged_parameters(item, operation, line, where)
        endpoint.parameters = self._parameters(raw_params, line, where)
        endpoint.request = self._body(operation, raw_params, line, where)
        endpoint.responses = self._responses(operation, line, where)
        endpoint.security = self._requirement(
            operation.get("security"), line, f"{where}/security"
        )
        self.document.endpoints.append(endpoint)

    def _line(self, path: str, method: str) -> int:
        """The method key's line (YAML: from the composed nodes, JSON: found lazily)."""
        if self.positions is None:
            return self.lines.get((path, method.lower()), self.lines.get((path, ""), 1))
        located = self.positions.locate("/paths" + pointer(path, method))
        return located.line if located is not None else 1

    # -- parameters ------------------------------------------------------------------------

    def _merged_parameters(
        self, item: dict[str, Any], operation: dict[str, Any], line: int, where: str
    ) -> list[dict[str, Any]]:
        """Path-item parameters overridden by the operation's own, by (name, in)."""
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for source, base in ((item, "/parameters"), (operation, "/parameters")):
            for index, raw in enumerate(source.get("parameters") or []):
                param = self._deref(raw, line, f"{where}{base}/{index}")
                if isinstance(param, dict) and param.get("name") is not None:
                    merged[(str(param["name"]), str(param.get("in")))] = param
        return list(merged.values())

    def _parameters(
        self, raw_params: list[dict[str, Any]], line: int, where: str
    ) -> list[SourceParameter]:
        params = []
        for index, param in enumerate(raw_params):
            location = str(param.get("in"))
            if location in ("body", "formData"):
                continue  # Swagger 2 bodies: read by _body
            if location not in LOCATIONS:
                self.report.warn(
                    self.name,
                    line,
                    f"parameter {param.get('name')!r} is in {location!r}; expected one of {', '.join(LOCATIONS)}; skipped",
                    where,
                )
                continue
            schema = self._parameter_schema(param)
            style, explode = self._style(param)
            params.append(
                SourceParameter(
                    name=str(param["name"]),
                    location=location,
                    required=location == "path" or param.get("required") is True,
                    description=str(param.get("description") or ""),
                    schema=self.fixer.fix(schema, line, f"{where}/parameters/{index}"),
                    example=self._parameter_example(param, schema),
                    style=style,
                    explode=explode,
                )
            )
            if location == "path" and param.get("required") is not True:
                self.report.warn(
                    self.name,
                    line,
                    f"path parameter {param.get('name')!r} is not marked required; OpenAPI requires every path parameter (required: true), so it is required here",
                    f"{where}/parameters/{index}",
                )
        return params

    def _style(self, param: dict[str, Any]) -> tuple[str | None, bool | None]:
        """3.x `style`/`explode`; Swagger 2.0 `collectionFormat`; `content` = JSON text."""
        if self.swagger2:
            fmt = str(param.get("collectionFormat") or "csv")
            return {
                "multi": ("form", True),
                "ssv": ("spaceDelimited", False),
                "pipes": ("pipeDelimited", False),
                "tsv": ("tabDelimited", False),
            }.get(fmt, ("form" if param.get("in") == "query" else "simple", False))
        if not isinstance(param.get("schema"), dict) and isinstance(
            param.get("content"), dict
        ):
            return "json", False
        style = param.get("style")
        explode = param.get("explode")
        style = str(style) if isinstance(style, str) else None
        if style is None and not isinstance(explode, bool):
            return None, None
        location = str(param.get("in"))
        style = style or ("form" if location in ("query", "cookie") else "simple")
        return style, explode if isinstance(explode, bool) else style == "form"

    def _parameter_schema(self, param: dict[str, Any]) -> dict[str, Any]:
        if isinstance(param.get("schema"), dict):
            return as_dict(param["schema"])
        for media in as_dict(
            param.get("content")
        ).values():  # 3.x: a parameter described by a media type
            if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                return as_dict(media["schema"])
        # Swagger 2: the schema keywords sit on the parameter itself
        schema = {
            key: value
            for key, value in param.items()
            if key
            not in (
                "name",
                "in",
                "description",
                "required",
                "example",
                "examples",
                "allowEmptyValue",
                "collectionFormat",
            )
            and not key.startswith("x-")
        }
        return schema or {"type": "string"}

    def _parameter_example(self, param: dict[str, Any], schema: dict[str, Any]) -> Any:
        if "example" in param:
            return param["example"]
        examples = param.get("examples")
        if isinstance(examples, dict):
            for example in examples.values():
                example = self._deref(example)
                if isinstance(example, dict) and "value" in example:
                    return example["value"]
        return schema.get("example")

    # -- request body ----------------------------------------------------------------------

    def _body(
        self,
        operation: dict[str, Any],
        raw_params: list[dict[str, Any]],
        line: int,
        where: str,
    ) -> SourceBody | None:
        if self.swagger2:
            return self._swagger2_body(operation, raw_params, line, where)
        body = self._deref(operation.get("requestBody"), line, f"{where}/requestBody")
        if not isinstance(body, dict):
            return None
        content = as_dict(body.get("content"))
        media_type = _pick_media_type(content)
        if media_type is None:
            return None
        media = as_dict(content[media_type])
        schema = media.get("schema")
        also = [
            str(kind)
            for kind, other in content.items()
            if kind != media_type
            and (
                as_dict(other).get("schema") == schema
                or not any(mark in str(kind) for mark in ("json", "form"))
            )
        ]
        return SourceBody(
            content_type=media_type,
            schema=(
                self.fixer.fix(
                    schema, line, f"{where}/requestBody/content/{media_type}/schema"
                )
                if isinstance(schema, dict)
                else None
            ),
            examples=self._media_examples(media),
            # OpenAPI 3: `required` defaults to false; a client may leave the body out
            required=body.get("required") is True,
            also=also,
        )

    def _swagger2_body(
        self,
        operation: dict[str, Any],
        raw_params: list[dict[str, Any]],
        line: int,
        where: str,
    ) -> SourceBody | None:
        """`in: body` is the body's schema; `in: formData` parameters are form fields."""
        consumes = [
            str(c) for c in operation.get("consumes") or self.data.get("consumes") or []
        ]
        for param in raw_params:
            if param.get("in") == "body":
                schema = param.get("schema")
                example = [param["x-example"]] if "x-example" in param else []
                return SourceBody(
                    content_type=next(
                        (c for c in consumes if "json" in c),
                        consumes[0] if consumes else "application/json",
                    ),
                    schema=(
                        self.fixer.fix(schema, line, f"{where}/parameters")
                        if isinstance(schema, dict)
                        else None
                    ),
                    examples=example,
                    required=param.get("required") is True,  # Swagger 2: default false
                )
        fields = [param for param in raw_params if param.get("in") == "formData"]
        if not fields:
            return None
        properties: dict[str, Any] = {}
        required: list[str] = []
        for param in fields:
            properties[str(param["name"])] = self.fixer.fix(
                self._parameter_schema(param), line, f"{where}/parameters"
            )
            if param.get("required") is True:
                required.append(str(param["name"]))
        has_file = any(prop.get("format") == "binary" for prop in properties.values())
        kind = (
            "multipart/form-data"
            if has_file or "multipart/form-data" in consumes
            else "application/x-www-form-urlencoded"
        )
        form: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            form["required"] = required
        return SourceBody(kind, form)

    # -- responses -------------------------------------------------------------------------

    def _responses(
        self, operation: dict[str, Any], line: int, where: str
    ) -> list[SourceResponse]:
        """Status codes, ranges (`2XX`) and `default`, as OpenAPI defines the keys; Apifox's
        `x-<code>:<name>` (a second response for a code) is kept when the code has none.
        """
        responses: list[SourceResponse] = []
        ranges: list[tuple[str, Any, str]] = []
        for key, raw in (operation.get("responses") or {}).items():
            text = str(key).strip()
            here = f"{where}/responses" + pointer(str(key))
            if re.fullmatch(r"[1-5]\d\d", text):
                code = int(text)
            elif re.fullmatch(r"[1-5]XX|default", text, re.IGNORECASE):
                ranges.append((text.upper() if text != "default" else text, raw, here))
                continue
            elif text.startswith("x-"):
                match = re.search(r"(?<!\d)([1-5]\d\d)(?!\d)", text)
                if match is None:
                    continue  # an extension of the Responses object
                code = int(match.group(1))
            else:
                raise fail(
                    self.name,
                    line,
                    f"response key {str(key)!r} is not a status code: expected 100-599, 1XX-5XX or default",
                    here,
                )
            if any(response.code == code for response in responses):
                self.report.warn(
                    self.name,
                    line,
                    f"a second response for status {code} ({key!r}); only the first is kept",
                    here,
                )
                continue
            response = self._deref(raw, line, here)
            if isinstance(response, dict):
                responses.append(self._response(code, response, line, here))
        for kind, raw, here in ranges:
            stands_for = _range_code(kind, [r.code for r in responses])
            response = self._deref(raw, line, here)
            if stands_for is None:
                self.report.warn(
                    self.name,
                    line,
                    f"response {kind!r}: every status it covers is documented on its own; left out",
                    here,
                )
            elif isinstance(response, dict):
                found = self._response(stands_for, response, line, here)
                found.range = kind
                responses.append(found)
        return responses

    def _response(
        self, code: int, response: dict[str, Any], line: int, where: str
    ) -> SourceResponse:
        name = str(response.get("x-apifox-name") or response.get("description") or "")
        # with Apifox's own name beside it, OpenAPI's `description` is the response's 说明
        described = str(response.get("description") or "")
        description = (
            described if response.get("x-apifox-name") and described != name else ""
        )
        if self.swagger2:
            produces = [str(p) for p in self.data.get("produces") or []]
            schema = response.get("schema")
            examples = (
                list((response.get("examples") or {}).values())
                if isinstance(response.get("examples"), dict)
                else []
            )
            return SourceResponse(
                code=code,
                name=name,
                content_type=(
                    next(
                        (p for p in produces if "json" in p),
                        produces[0] if produces else "application/json",
                    )
                    if isinstance(schema, dict)
                    else ""
                ),
                schema=(
                    self.fixer.fix(schema, line, f"{where}/schema")
                    if isinstance(schema, dict)
                    else {}
                ),
                examples=examples,
                description=description,
            )
        content = as_dict(response.get("content"))
        media_type = _pick_media_type(content)
        media = as_dict(content.get(media_type)) if media_type is not None else {}
        schema = media.get("schema")
        return SourceResponse(
            code=code,
            name=name,
            content_type=media_type or "",  # "" = no body
            schema=(
                self.fixer.fix(schema, line, f"{where}/content/{media_type}/schema")
                if isinstance(schema, dict)
                else {}
            ),
            examples=self._media_examples(media),
            description=description,
        )

    def _media_examples(self, media: dict[str, Any]) -> list[Any]:
        """`example`, then every `examples.<key>.value` (Apifox keys them "1", "2", ...).
        An empty string beside an object schema is Apifox's "no example" and is left out.
        """
        examples = [media["example"]] if "example" in media else []
        for example in as_dict(media.get("examples")).values():
            example = self._deref(example)
            if isinstance(example, dict) and "value" in example:
                examples.append(example["value"])
        schema = as_dict(media.get("schema"))
        if schema.get("type") == "object" or "properties" in schema or "$ref" in schema:
            examples = [example for example in examples if example != ""]
        return examples

    # -- security --------------------------------------------------------------------------

    def _read_security(self, data: dict[str, Any]) -> None:
        """`components.securitySchemes` (Swagger 2.0: `securityDefinitions`) and the
        document's default `security`."""
        where = (
            "/securityDefinitions" if self.swagger2 else "/components/securitySchemes"
        )
        raw = (
            as_dict(data.get("securityDefinitions"))
            if self.swagger2
            else as_dict(as_dict(data.get("components")).get("securitySchemes"))
        )
        self.unsupported: set[str] = set()
        for key, value in raw.items():
            here = where + pointer(str(key))
            scheme = security.placement(self._deref(value, 1, here))
            if scheme is None:
                self.unsupported.add(str(key))
                self.report.warn(
                    self.name,
                    self._pointer_line(here),
                    f"security scheme {key!r} ({as_dict(value).get('type')!r} {as_dict(value).get('scheme', '')!r}) cannot be sent from a stored credential; operations that need only it are called without credentials",
                    here,
                )
                continue
            self.document.security_schemes[str(key)] = {
                **scheme,
                "line": self._pointer_line(here),
                "pointer": here,
            }
        self.document.security = self._requirement(data.get("security"), 1, "/security")

    def _requirement(self, raw: Any, line: int, where: str) -> list[list[str]] | None:
        known = set(self.document.security_schemes)
        found = security.requirements(raw, known)
        if found is None:
            return None
        alternatives, unknown = found
        for name in unknown:
            if name not in self.unsupported:
                self.report.warn(
                    self.name,
                    line,
                    f"security requirement names {name!r}, which is not a declared security scheme; that alternative is left out",
                    where,
                )
        return alternatives

    def _pointer_line(self, at: str) -> int:
        """The line of the node at JSON pointer `at`, found by position (YAML: line 1)."""
        if self.positions is None:
            return 1
        located = self.positions.locate(at)
        return located.line if located is not None else 1

    # -- servers ---------------------------------------------------------------------------

    def _servers(self, data: dict[str, Any]) -> list[dict[str, str]]:
        if self.swagger2:
            host = str(data.get("host") or "")
            base_path = str(data.get("basePath") or "")
            if not host:
                return (
                    [{"name": base_path, "url": base_path}]
                    if base_path.strip("/")
                    else []
                )
            schemes = [str(s) for s in data.get("schemes") or ["https"]]
            return [
                {"name": scheme, "url": f"{scheme}://{host}{base_path}".rstrip("/")}
                for scheme in schemes
            ]
        return _server_list(data.get("servers"))

    def _endpoint_servers(
        self, base: str | None, operation: dict[str, Any], item: dict[str, Any]
    ) -> list[str]:
        if base is not None:
            if all(server["url"] != base for server in self.servers):
                self.servers.append({"name": base, "url": base})
            return [base]
        for holder in (operation, item):
            if isinstance(holder.get("servers"), list) and holder["servers"]:
                return [server["url"] for server in _server_list(holder["servers"])]
        return [server["url"] for server in self.servers]


# -- small pieces ----------------------------------------------------------------------------------


def _range_code(kind: str, taken: list[int]) -> int | None:
    """The code a range (`4XX`) or `default` stands for in the registry: the range's first
    free code; `default` is the success answer when no 2xx is documented, else an error.
    """
    if kind == "default":
        if not any(200 <= code < 300 for code in taken):
            return 200
        candidates = [*range(500, 600), *range(400, 500)]
    else:
        start = int(kind[0]) * 100
        candidates = list(range(start, start + 100))
    return next((code for code in candidates if code not in taken), None)


def _server_list(raw: Any) -> list[dict[str, str]]:
    """3.x `servers`, their `{variables}` replaced by the defaults."""
    servers = []
    for server in raw if isinstance(raw, list) else []:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for variable, spec in (server.get("variables") or {}).items():
            if isinstance(spec, dict) and "default" in spec:
                url = url.replace("{" + str(variable) + "}", str(spec["default"]))
        servers.append({"name": str(server.get("description") or url), "url": url})
    return servers


def _pick_media_type(content: dict[str, Any]) -> str | None:
    types = [str(key) for key in content]
    return next(
        (kind for kind in types if "json" in kind.lower()), types[0] if types else None
    )


def _folder(operation: dict[str, Any]) -> list[str]:
    """`x-apifox-folder` ("a/b", `\\/` escapes a slash, "" = root), else the first tag."""
    folder = operation.get("x-apifox-folder")
    if not isinstance(folder, str):
        tags = [tag for tag in operation.get("tags") or [] if isinstance(tag, str)]
        folder = tags[0] if tags else ""
    parts = re.split(r"(?<!\\)/", folder)
    return [
        part.replace("\\/", "/").replace("\\\\", "\\").strip()
        for part in parts
        if part.strip()
    ]


def _source_id(operation: dict[str, Any]) -> str | None:
    """operationId; else the native api id kept in `x-run-in-apifox` (or its misspelt twin)."""
    if operation.get("operationId"):
        return str(operation["operationId"])
    for key in ("x-run-in-apifox", "x-run-in-apifox'"):
        match = _RUN_LINK.search(str(operation.get(key) or ""))
        if match:
            return match.group(1)
    return None
