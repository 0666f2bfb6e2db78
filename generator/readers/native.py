"""Apifox native project exports (`*.apifox.json`, also Apidog's `apidogProject` twin).

Two layouts are read:
- 1.0.0: `apiCollection` = one root folder `根目录` whose `items` mix sub-folders (`items`) and
  endpoint items (`{name, api: {...}}`);
- 1.1.0 (the IDEA plugin's import payload): `httpCollection` = folders with sub-folders in
  `children` and endpoints (the api fields themselves, no `api` wrapper, no `id`) in `items`.
The layout is decided by which collection is present, never by the version string.

Test cases (`apiTestCaseCollection`, `cases`, `mocks`) hold copies of requests and are never
read. Shared models (`schemaCollection` / `dataSchemaCollection`) become SourceDocument.schemas
keyed by their model name (made unique); `#/definitions/<id>` refs are rewritten to them.
"""

from __future__ import annotations

import re
from typing import Any

from generator.diagnostics import Report, fail
from generator.readers import security
from generator.readers.positions import JsonPositions
from generator.readers.refs import (
    UNSET,
    SchemaFixer,
    as_dict,
    json_text,
    load_json,
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

ROOT_FOLDERS = ("根目录", "Root")
LOCATIONS = ("path", "query", "header", "cookie")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
MOCK_ENVIRONMENTS = ("mock", "cloudMock")
DEPRECATED_STATUSES = ("deprecated", "obsolete")  # 将废弃 / 已废弃
# A response's `contentType` is an Apifox enum, not a MIME type; noContent has no body.
RESPONSE_TYPES = {
    "json": "application/json",
    "xml": "application/xml",
    "html": "text/html",
    "raw": "text/plain",
    "eventStream": "text/event-stream",
    "noContent": "",
}
EXPECTED = "an Apifox project export (apiCollection or httpCollection)"


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and (
        "apifoxProject" in data or "apidogProject" in data
    )


def read(text: str, name: str, report: Report, data: Any = None) -> SourceDocument:
    if data is None:
        data = load_json(text, name, EXPECTED, report=report)
    if not looks_like(data):
        raise fail(
            name,
            1,
            f"not an Apifox project: expected a top-level 'apifoxProject' key in {EXPECTED}",
        )
    return _Project(text, name, report, data).read()


class _Project:
    def __init__(
        self, text: str, name: str, report: Report, data: dict[str, Any]
    ) -> None:
        self.text, self.name, self.report, self.data = text, name, report, data
        self.fixer = _models(data, name, report)
        self.shared = _shared_responses(data.get("responseCollection"))
        self.environments = [
            env
            for env in _dicts(data.get("environments"))
            if env.get("type") not in MOCK_ENVIRONMENTS
        ]
        self.document = SourceDocument(
            name, "apifox-native", servers=self._environment_servers()
        )
        self.positions = JsonPositions(text)  # lines of endpoints, found lazily
        self._collection_schemes = _scheme_collection(
            data.get("securitySchemeCollection")
        )
        setting = as_dict(data.get("projectSetting"))
        self.document.security = self._auth_of(setting, "/projectSetting", None)

    def read(self) -> SourceDocument:
        if isinstance(self.data.get("apiCollection"), list):
            for index, node in enumerate(self.data["apiCollection"]):
                self._walk_v1(node, ("apiCollection", index), [], "", top=True)
        elif isinstance(self.data.get("httpCollection"), list):
            for index, node in enumerate(self.data["httpCollection"]):
                self._walk_v11(node, ("httpCollection", index), [], top=True)
        else:
            raise fail(
                self.name,
                1,
                f"no 'apiCollection' or 'httpCollection' list: expected {EXPECTED}",
            )
        self.document.schemas = self.fixer.schemas()
        return self.document

    # -- the folder trees ------------------------------------------------------------------

    def _walk_v1(
        self,
        node: Any,
        at: tuple[str | int, ...],
        folders: list[str],
        server: str,
        top: bool = False,
        auth: list[list[str]] | None = None,
    ) -> None:
        """1.0.0: endpoint items have `api`, folders have `items`; anything else is skipped.
        A folder's `auth` applies to what it holds unless they say their own."""
        if not isinstance(node, dict):
            return
        if isinstance(node.get("api"), dict):
            self._add(
                node["api"],
                str(node.get("name") or ""),
                folders,
                (*at, "api"),
                server,
                auth,
            )
            return
        if not isinstance(node.get("items"), list):
            return
        folders = _folder_path(node, folders, top)
        self._describe(node, folders)
        server = str(node.get("serverId") or "") or server
        auth = self._auth_of(node, pointer(*at), auth)
        for index, item in enumerate(node["items"]):
            self._walk_v1(item, (*at, "items", index), folders, server, auth=auth)

    def _walk_v11(
        self,
        node: Any,
        at: tuple[str | int, ...],
        folders: list[str],
        top: bool = False,
    ) -> None:
        """1.1.0: a folder's endpoints sit in `items` (no `api` wrapper), sub-folders in `children`."""
        if not isinstance(node, dict):
            return
        if (
            "method" in node and "path" in node
        ):  # an endpoint at list level: tolerate it
            self._add(node, str(node.get("name") or ""), folders, at, "")
            return
        folders = _folder_path(node, folders, top)
        self._describe(node, folders)
        for index, item in enumerate(node.get("items") or []):
            if isinstance(item, dict):
                self._add(
                    item,
                    str(item.get("name") or ""),
                    folders,
                    (*at, "items", index),
                    "",
                )
        for index, child in enumerate(node.get("children") or []):
            self._walk_v11(child, (*at, "children", index), folders)

    def _describe(self, node: dict[str, Any], folders: list[str]) -> None:
        """A folder's own description, for the docs' index."""
        text = node.get("description")
        if folders and isinstance(text, str) and text.strip():
            self.document.groups.append((list(folders), text.strip()))

    # -- one endpoint ----------------------------------------------------------------------

    def _add(
        self,
        api: dict[str, Any],
        title: str,
        folders: list[str],
        at: tuple[str | int, ...],
        server: str,
        auth: list[list[str]] | None = None,
    ) -> None:
        where = pointer(*at)
        source_id = str(api["id"]) if api.get("id") not in (None, "") else None
        line = self._line(at)
        if api.get("type") not in (None, "http"):
            return  # not an HTTP endpoint (a socket or doc item misplaced in the tree)
        method = str(api.get("method") or "").strip().upper()
        raw_path = api.get("path")
        if not re.fullmatch(r"[A-Z]+", method) or not isinstance(raw_path, str):
            self.report.warn(
                self.name,
                line,
                f"endpoint {title!r} has no usable method/path ({api.get('method')!r} {raw_path!r}); skipped",
                where,
            )
            return
        if not raw_path.strip():
            self.report.warn(
                self.name,
                line,
                f"endpoint {title!r} has an empty path; read as '/'",
                where,
            )
        base, path = split_url(raw_path)
        status = str(api.get("status") or "")
        endpoint = SourceEndpoint(
            file=self.name,
            line=line,
            title=title or f"{method} {path}",
            method=method,
            path=path,
            description=str(api.get("description") or ""),
            pointer=where,
            source_id=source_id,
            folder=list(folders),
            tags=[
                str(tag) for tag in api.get("tags") or [] if isinstance(tag, (str, int))
            ],
            status=status,
            deprecated=status in DEPRECATED_STATUSES or api.get("deprecated") is True,
            servers=self._servers_for(base, str(api.get("serverId") or "") or server),
            source_text=self.text,
        )
        endpoint.parameters = self._parameters(api.get("parameters"), line, where)
        endpoint.request = self._body(api.get("requestBody"), line, where)
        endpoint.responses = self._responses(api, line, where)
        endpoint.security = self._auth_of(api, where, auth, line)
        self.document.endpoints.append(endpoint)

    def _line(self, at: tuple[str | int, ...]) -> int:
        """Where the endpoint starts: its item in the collection (the `"api"` key in 1.0.0)."""
        located = self.positions.locate(pointer(*at))
        return located.line if located is not None else 1

    # -- auth ------------------------------------------------------------------------------

    def _auth_of(
        self,
        holder: dict[str, Any],
        where: str,
        inherited: list[list[str]] | None,
        line: int = 1,
    ) -> list[list[str]] | None:
        """What `holder` (project setting, folder or endpoint) requires: its `auth` block
        (`noauth` = nothing, `{}` or `inherit` = the parent's), or with
        `type: securityscheme` its `securityScheme.schemeGroups` (alternatives of
        `securitySchemeCollection` ids that must all be sent)."""
        auth = holder.get("auth")
        kind = str(as_dict(auth).get("type") or "").lower()
        if kind in ("", "inherit", "inheritauth"):
            return inherited
        if kind == "noauth":
            return []
        if kind == "securityscheme":
            return self._scheme_groups(
                holder.get("securityScheme"), where, line, inherited
            )
        scheme = security.apifox_placement(auth)
        if scheme is None:
            spec = as_dict(as_dict(auth).get("apikey"))
            reason = (
                f"the API key's name {spec.get('key')!r} is not a valid {spec.get('in') or 'header'} name"
                if kind == "apikey"
                else f"auth type {kind!r} cannot be sent from a stored credential"
            )
            self.report.warn(
                self.name,
                line,
                f"{reason}; the endpoint is called without credentials",
                f"{where}/auth",
            )
            return []
        return [
            [self._add_scheme(_legacy_scheme_id(scheme), scheme, f"{where}/auth", line)]
        ]

    def _scheme_groups(
        self, raw: Any, where: str, line: int, inherited: list[list[str]] | None
    ) -> list[list[str]] | None:
        groups = [g for g in _dicts(as_dict(raw).get("schemeGroups"))]
        if not groups:
            return inherited
        alternatives: list[list[str]] = []
        for group in groups:
            ids = [str(i) for i in group.get("schemeIds") or []]
            names: list[str] = []
            for ident in ids:
                found = self._collection_schemes.get(ident)
                scheme = (
                    security.placement(as_dict(found).get("authConfigs"))
                    if found
                    else None
                )
                if found is None or scheme is None:
                    self.report.warn(
                        self.name,
                        line,
                        f"security scheme {ident} is not in securitySchemeCollection or cannot be sent from a stored credential; that alternative is left out",
                        f"{where}/securityScheme",
                    )
                    names = []
                    break
                name = str(found.get("name") or ident)
                names.append(
                    self._add_scheme(name, scheme, "/securitySchemeCollection", line)
                )
            if names and names not in alternatives:
                alternatives.append(names)
        if as_dict(raw).get("required") is False:
            alternatives.append([])
        return alternatives

    def _add_scheme(
        self, name: str, scheme: dict[str, Any], where: str, line: int
    ) -> str:
        """The id of `scheme` in this document: its name, suffixed when another scheme
        already has that name."""
        schemes = self.document.security_schemes
        ident, number = name, 1
        while ident in schemes and _placement_key(schemes[ident]) != _placement_key(
            scheme
        ):
            number += 1
            ident = f"{name} {number}"
        schemes.setdefault(ident, {**scheme, "line": line, "pointer": where})
        return ident

    # -- parameters ------------------------------------------------------------------------

    def _parameters(self, raw: Any, line: int, where: str) -> list[SourceParameter]:
        params: list[SourceParameter] = []
        for location, index, item in _parameter_items(raw):
            if item.get("enable") is False or not item.get("name"):
                continue  # enable:false = switched off in the editor
            schema = (
                item["schema"]
                if isinstance(item.get("schema"), dict)
                else _type_schema(item.get("type"))
            )
            if isinstance(item.get("enum"), list) and "enum" not in schema:
                schema = {**schema, "enum": item["enum"]}
            example = _first_value(item, ("example", "sampleValue", "value"))
            params.append(
                SourceParameter(
                    name=str(item["name"]),
                    location=location,
                    required=location == "path" or bool(item.get("required")),
                    description=str(item.get("description") or ""),
                    schema=self.fixer.fix(
                        schema, line, f"{where}/parameters/{location}/{index}"
                    ),
                    example=None if example is UNSET else example,
                )
            )
        return params

    # -- request body ----------------------------------------------------------------------

    def _body(self, body: Any, line: int, where: str) -> SourceBody | None:
        if not isinstance(body, dict):
            return None  # 1.1.0 has no requestBody at all
        kind = str(body.get("type") or "").strip()
        if kind in ("", "none"):
            return None  # stale examples on `none` bodies are ignored on purpose
        where = f"{where}/requestBody"
        if kind in FORM_TYPES:
            return self._form(kind, body.get("parameters"), line, where)
        schema = body.get("jsonSchema")
        fixed = (
            self.fixer.fix(schema, line, f"{where}/jsonSchema")
            if isinstance(schema, dict)
            else None
        )
        if "json" in kind:
            return SourceBody(kind, fixed, _body_examples(body, parse=True))
        if kind.startswith("text/"):
            # a text body is the text itself, even when it looks like JSON
            return SourceBody(
                kind, {"type": "string"}, _body_examples(body, parse=False)
            )
        return SourceBody(kind, fixed, _body_examples(body, parse=False))

    def _form(self, kind: str, fields: Any, line: int, where: str) -> SourceBody:
        """Form fields as an object schema; `file` fields are binary strings."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        example: dict[str, Any] = {}
        for index, field in enumerate(_dicts(fields)):
            field_name = str(field.get("name") or "")
            if (
                not field_name
                or field.get("enable") is False
                or field_name in properties
            ):
                continue
            schema = (
                dict(field["schema"])
                if isinstance(field.get("schema"), dict)
                else _type_schema(field.get("type"))
            )
            if field.get("type") == "file" or schema.get("type") == "file":
                schema.update(type="string", format="binary")
            if field.get("description") and "description" not in schema:
                schema["description"] = str(field["description"])
            properties[field_name] = self.fixer.fix(
                schema, line, f"{where}/parameters/{index}"
            )
            if field.get("required"):
                required.append(field_name)
            value = _first_value(field, ("example", "sampleValue", "value"))
            # old exports put the local path of a sample file here: not an example value
            if (
                value is not UNSET
                and schema.get("format") != "binary"
                and not str(value).startswith("file://")
            ):
                example[field_name] = value
        schema_out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema_out["required"] = required
        return SourceBody(kind, schema_out, [example] if example else [])

    # -- responses -------------------------------------------------------------------------

    def _responses(
        self, api: dict[str, Any], line: int, where: str
    ) -> list[SourceResponse]:
        examples = _dicts(api.get("responseExamples"))
        responses: list[SourceResponse] = []
        ids: dict[str, SourceResponse] = {}
        for index, raw in enumerate(_dicts(api.get("responses"))):
            response = self._response(
                raw, line, f"{where}/responses/{index}", responses
            )
            if response is not None:
                responses.append(response)
                ids[str(raw.get("id"))] = response
        for example in examples:
            value = json_text(example.get("data"))
            if value is UNSET:
                continue
            owner = ids.get(str(example.get("responseId")))
            if (
                owner is None
            ):  # no such response id: fall back to the example's own code
                code = _code(example.get("code"))
                owner = next((r for r in responses if r.code == code), None)
            if owner is not None:
                owner.examples.append(value)
        for shared_id, enabled in (api.get("commonResponseStatus") or {}).items():
            shared = self.shared.get(str(shared_id))
            if enabled is True and shared is not None:
                response = self._response(
                    shared,
                    line,
                    f"/responseCollection (id {shared_id})",
                    responses,
                    quiet=True,
                )
                if response is not None:
                    responses.append(response)
        return responses

    def _response(
        self,
        raw: dict[str, Any],
        line: int,
        where: str,
        taken: list[SourceResponse],
        quiet: bool = False,
    ) -> SourceResponse | None:
        code = _code(raw.get("code"))
        if code is None:
            self.report.warn(
                self.name,
                line,
                f"response {raw.get('name')!r} has no status code ({raw.get('code')!r}); left out",
                where,
            )
            return None
        if any(response.code == code for response in taken):
            if not quiet:
                self.report.warn(
                    self.name,
                    line,
                    f"a second response for status {code} ({raw.get('name')!r}); only the first is kept",
                    where,
                )
            return None
        media = str(raw.get("mediaType") or "").strip()
        schema = raw.get("jsonSchema")
        return SourceResponse(
            code=code,
            name=str(raw.get("name") or ""),
            description=str(raw.get("description") or ""),
            content_type=media
            or RESPONSE_TYPES.get(str(raw.get("contentType")), "application/json"),
            schema=(
                self.fixer.fix(schema, line, f"{where}/jsonSchema")
                if isinstance(schema, dict)
                else {}
            ),
        )

    # -- base URLs -------------------------------------------------------------------------

    def _environment_servers(self) -> list[dict[str, str]]:
        """One entry per (environment, service) with a URL; mock environments are skipped."""
        setting = as_dict(self.data.get("projectSetting"))
        services = {
            str(s.get("id")): str(s.get("name") or "")
            for s in _dicts(setting.get("servers"))
        }
        servers: list[dict[str, str]] = []
        for env in self.environments:
            urls = (
                as_dict(env.get("baseUrls"))
                if isinstance(env.get("baseUrls"), dict)
                else {"default": env.get("baseUrl")}
            )
            for server_id, url in urls.items():
                if isinstance(url, str) and url.strip():
                    label = str(env.get("name") or "")
                    if server_id != "default":
                        label = f"{label} / {services.get(str(server_id), server_id)}"
                    servers.append({"name": label, "url": url.strip()})
        return servers

    def _servers_for(self, base: str | None, server_id: str) -> list[str]:
        """An absolute path's own base URL, else the environments' URL for the endpoint's
        service (its `serverId`, else the nearest folder's, `""` meaning `default`)."""
        if base is not None:
            if all(server["url"] != base for server in self.document.servers):
                self.document.servers.append({"name": base, "url": base})
            return [base]
        server_id = server_id or "default"
        urls: list[str] = []
        for env in self.environments:
            url = as_dict(env.get("baseUrls")).get(server_id)
            if url is None and server_id == "default":
                url = env.get("baseUrl")
            if isinstance(url, str) and url.strip() and url.strip() not in urls:
                urls.append(url.strip())
        return urls


# -- security ------------------------------------------------------------------------------------


def _scheme_collection(node: Any) -> dict[str, dict[str, Any]]:
    """securitySchemeCollection leaves (`{id, name, authType, authConfigs}`) by id, from its
    folder tree."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(node, list):
        for item in node:
            found.update(_scheme_collection(item))
    elif isinstance(node, dict):
        if "authConfigs" in node and node.get("id") is not None:
            found[str(node["id"])] = node
        found.update(_scheme_collection(node.get("items")))
        found.update(_scheme_collection(node.get("children")))
    return found


def _legacy_scheme_id(scheme: dict[str, Any]) -> str:
    if scheme["in"] == "header" and scheme["name"] == "Authorization":
        return "basic" if scheme["basic"] else "bearer"
    return f"apikey {scheme['in']} {scheme['name']}"


def _placement_key(scheme: dict[str, Any]) -> tuple[Any, ...]:
    return (scheme["in"], scheme["name"], scheme["prefix"], scheme["basic"])


# -- models --------------------------------------------------------------------------------------


def _models(data: dict[str, Any], name: str, report: Report) -> SchemaFixer:
    """Models by a readable unique name; aliases map `#/definitions/<id>` to it."""
    key = "schemaCollection" if "schemaCollection" in data else "dataSchemaCollection"
    models: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    pointers: dict[str, str] = {}
    taken: set[str] = set()
    for at, leaf in _model_leaves(data.get(key), (key,)):
        holder = leaf.get("schema")
        at = (
            (*at, "schema", "jsonSchema")
            if isinstance(holder, dict)
            else (*at, "jsonSchema")
        )
        schema = (
            holder.get("jsonSchema")
            if isinstance(holder, dict)
            else leaf.get("jsonSchema")
        )
        schema = dict(schema) if isinstance(schema, dict) else {}
        if (
            leaf.get("description")
            and "description" not in schema
            and "$ref" not in schema
        ):
            schema["description"] = str(leaf["description"])
        model = unique_name(
            str(leaf.get("name") or leaf.get("displayName") or leaf.get("id") or ""),
            taken,
        )
        models[model] = schema
        pointers[model] = pointer(*at)
        ident = str(leaf.get("id") or "")
        if ident:
            aliases[ident] = model
            if not ident.startswith("#"):
                aliases[f"#/definitions/{ident}"] = model
    return SchemaFixer(name, report, models, aliases, pointers=pointers)


def model_pointers(data: Any) -> dict[str, str]:
    """Where each model's schema sits, by the refs that name it (`#/definitions/<id>`)."""
    found: dict[str, str] = {}
    if not isinstance(data, dict):
        return found
    key = "schemaCollection" if "schemaCollection" in data else "dataSchemaCollection"
    for at, leaf in _model_leaves(data.get(key), (key,)):
        holder = (
            "/schema/jsonSchema"
            if isinstance(leaf.get("schema"), dict)
            else "/jsonSchema"
        )
        ident = str(leaf.get("id") or "")
        if ident:
            found[ident] = found[f"#/definitions/{ident}"] = pointer(*at) + holder
    return found


def _model_leaves(
    node: Any, at: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(pointer tokens, leaf) of every model in the folder tree."""
    if isinstance(node, list):
        return [
            leaf
            for index, item in enumerate(node)
            for leaf in _model_leaves(item, (*at, index))
        ]
    if not isinstance(node, dict):
        return []
    if "schema" in node or "jsonSchema" in node:
        return [(at, node)]
    return _model_leaves(node.get("items"), (*at, "items")) + _model_leaves(
        node.get("children"), (*at, "children")
    )


def _shared_responses(node: Any) -> dict[str, dict[str, Any]]:
    """responseCollection components by id: an old flat list or a 2024+ folder tree."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(node, list):
        for item in node:
            found.update(_shared_responses(item))
    elif isinstance(node, dict):
        if "code" in node:
            found[str(node.get("id"))] = node
        else:
            found.update(_shared_responses(node.get("items")))
            found.update(_shared_responses(node.get("children")))
    return found


# -- small pieces ----------------------------------------------------------------------------------


def _dicts(value: Any) -> list[dict[str, Any]]:
    return (
        [item for item in value if isinstance(item, dict)]
        if isinstance(value, list)
        else []
    )


def _folder_path(node: dict[str, Any], folders: list[str], top: bool) -> list[str]:
    name = str(node.get("name") or "").strip()
    if not name or (top and name in ROOT_FOLDERS):
        return folders
    return [*folders, name]


def _parameter_items(raw: Any) -> list[tuple[str, int, dict[str, Any]]]:
    """(location, index, item): the usual {"query": [...], ...} object, or a list of items
    carrying their own `in` (hand-written look-alikes)."""
    if isinstance(raw, dict):
        return [
            (location, index, item)
            for location in LOCATIONS
            for index, item in enumerate(_dicts(raw.get(location)))
        ]
    items = []
    for index, item in enumerate(_dicts(raw)):
        location = str(item.get("in") or item.get("location") or "")
        if location in LOCATIONS:
            items.append((location, index, item))
    return items


def _type_schema(kind: Any) -> dict[str, Any]:
    """A parameter's bare `type` (missing or "" means string) as a schema."""
    kind = str(kind or "string")
    if kind == "file":
        return {"type": "string", "format": "binary"}
    if kind == "array":
        return {"type": "array", "items": {"type": "string"}}
    return {"type": kind}


def _first_value(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The first of `keys` with a value; "" counts as none. Newest spelling first."""
    for key in keys:
        value = item.get(key)
        if value is not None and value != "":
            return value
    return UNSET


def _body_examples(body: dict[str, Any], parse: bool) -> list[Any]:
    """`examples[].value` (newest), else `example`, else the oldest `sampleValue`."""
    values = [example.get("value") for example in _dicts(body.get("examples"))]
    if not values:
        value = _first_value(body, ("example", "sampleValue"))
        values = [] if value is UNSET else [value]
    result = []
    for value in values:
        parsed = (
            json_text(value) if parse else (UNSET if value in (None, "") else value)
        )
        if parsed is not UNSET:
            result.append(parsed)
    return result


def _code(value: Any) -> int | None:
    """200, 200.0 (1.1.0) and "200" are all 200."""
    if isinstance(value, bool):
        return None
    if (
        isinstance(value, (int, float))
        and float(value).is_integer()
        and 100 <= value <= 599
    ):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[1-5]\d\d(\.0+)?\s*", value):
        return int(float(value))
    return None
