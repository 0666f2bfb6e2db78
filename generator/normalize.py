"""SourceDocuments -> registry endpoints (`list[Endpoint]`) and shared schemas (`dict[str, Schema]`):
names, cleaned schemas, lifted constraints, queue facts."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any, cast

from generator import naming, prose
from generator.config import Config
from generator.diagnostics import Report, fail
from generator.readers import external
from generator.readers.source import SourceDocument, SourceEndpoint, SourceResponse
from generator.registry_types import (
    Encoding,
    Endpoint,
    Parameter,
    ParameterLocation,
    QueueFacts,
    Request,
    RequestField,
    Response,
    Schema,
    StatusRange,
)

QUEUE_KEYS = {"request_id", "status_url", "response_url"}
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "gif", "avif"]


def build(
    documents: list[SourceDocument], config: Config, report: Report
) -> tuple[list[Endpoint], dict[str, Schema]]:
    """(registry endpoints, shared schemas by class name) for every document read."""
    schemas: dict[str, Schema] = {}
    taken_classes: set[str] = set()
    sources: list[tuple[SourceEndpoint, dict[str, str]]] = []
    origins: dict[str, str] = {}
    for document in documents:
        classes = _shared_schemas(document, schemas, taken_classes, report)
        sources += [(endpoint, classes) for endpoint in document.endpoints]
        origins.update({cls: document.file for cls in classes.values()})
    cycle = inheritance_cycle(schemas)
    if cycle:
        raise fail(
            origins.get(cycle[0], "registry.json"),
            None,
            f"models {' -> '.join(cycle)} extend each other through allOf, a cycle no class "
            "hierarchy can express; expected allOf references without a cycle",
            "/components/schemas/" + _escape_pointer(cycle[0]),
        )
    sources.sort(key=lambda item: (_stable_key(item[0]), item[0].file, item[0].line))
    _report_duplicates([source for source, _ in sources], report)
    taken: set[str] = set(RUNTIME_NAMES)
    ids: set[str] = set()
    result: list[Endpoint] = []
    placed: list[tuple[SourceEndpoint, Endpoint]] = []
    for source, classes in sources:
        attribute = naming.identifier(
            _name_base(source, config.strip_name_prefixes), taken, fallback="endpoint"
        )
        endpoint = _endpoint(source, attribute, classes, schemas, report)
        full = naming.snake(_name_base(source, config.strip_name_prefixes))
        if (
            len(full) > naming.MAX_LENGTH
        ):  # shortened: the registry keeps the whole name
            endpoint["names"]["full_name"] = full
        endpoint["id"] = naming.unique(endpoint["id"], ids, " #")
        result.append(endpoint)
        placed.append((source, endpoint))
    place_methods(placed, config)
    _class_names(result, taken_classes)
    return sorted(result, key=lambda e: (e["path"], e["method"], e["id"])), schemas


# Attributes of the generated clients that an endpoint must not take.
RUNTIME_NAMES = tuple(sorted(naming.CLIENT_MEMBERS))
MEDIA_HEADERS = ("accept", "content-type")
# Keyword arguments every plain endpoint method has besides its parameters and fields.
CALL_ARGUMENTS = ("extra_headers", "timeout")
# Pages of docs/ that are not an endpoint's (`snake` never makes `index_`: no clash with those).
INDEX_PAGES = frozenset({"index", "models"})  # docs/index.md and docs/models.md


def _stable_key(source: SourceEndpoint) -> str:
    """What names are decided by: the Apifox id or operationId, else method and path."""
    return (
        f"id:{source.source_id}"
        if source.source_id
        else f"{source.method} {source.path}"
    )


def _report_duplicates(sources: list[SourceEndpoint], report: Report) -> None:
    seen: dict[tuple[str, str], SourceEndpoint] = {}
    for source in sources:
        first = seen.setdefault((source.method, source.path), source)
        if first is not source:
            report.warn(
                source.file,
                source.line,
                f"duplicate endpoint {source.method} {source.path} (also at {first.file}:{first.line}); it gets its own name",
                source.pointer,
            )


def _shared_schemas(
    document: SourceDocument,
    schemas: dict[str, Schema],
    taken: set[str],
    report: Report,
) -> dict[str, str]:
    """Add the document's models to `schemas` under class names; returns {source name: class}."""
    classes = {name: naming.class_name(name, taken) for name in document.schemas}
    for name, schema in document.schemas.items():
        cleaned = _schema(
            schema,
            classes,
            report,
            (document.file, None, "/components/schemas/" + _escape_pointer(name)),
        )
        source = SourceEndpoint(
            file=document.file,
            line=1,
            title=name,
            method="GET",
            path="/",
            prose_constraints=document.format != "openapi",
        )
        _lift_properties(cleaned, source, report, pointer=f"/components/schemas/{name}")
        fix_defaults(
            cleaned,
            _warner(report, document.file, 1),
            f"/components/schemas/{_escape_pointer(name)}",
        )
        schemas[classes[name]] = cleaned
    return classes


def inheritance_cycle(schemas: dict[str, Schema]) -> list[str] | None:
    """A cycle of models through `allOf` refs (A allOf B, B allOf A): no class hierarchy can
    express it (datamodel-code-generator's "inheritance cycle"); the names, in order."""

    def parents(name: str) -> list[str]:
        schema = schemas.get(name)
        found = []
        for part in (
            (schema or {}).get("allOf") or [] if isinstance(schema, dict) else []
        ):
            ref = part.get("$ref") if isinstance(part, dict) else None
            if isinstance(ref, str) and ref.startswith(DEFS_REF):
                found.append(ref[len(DEFS_REF) :])
        return found

    state: dict[str, int] = {}
    for start in schemas:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if index == 0:
                state[name] = 1
                path.append(name)
            children = parents(name)
            if index < len(children):
                stack.append((name, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[name] = 2
                path.pop()
    return None


def rewrite_refs(
    schema: Any, classes: dict[str, str], dropped: list[str] | None = None
) -> Any:
    """`#/components/schemas/<name>` (reader convention) -> `#/$defs/<Class>` (registry).

    Any other `$ref` (another file, a URL, a pointer to nothing) is left out and listed in
    `dropped`: nothing downstream (datamodel-code-generator, jsonschema) ever sees a ref it
    could follow out of the registry."""
    if isinstance(schema, list):
        return [rewrite_refs(item, classes, dropped) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref":
            name = (
                value[len(READER_REF) :]
                if isinstance(value, str) and value.startswith(READER_REF)
                else None
            )
            if name is not None and name in classes:
                out[key] = DEFS_REF + classes[name]
            elif dropped is not None:
                dropped.append(str(value))
        elif key in DATA_KEYWORDS:
            out[key] = value
        elif key == "properties" and isinstance(value, dict):
            # property names are data: a property called "$ref" or "default" is a schema
            out[key] = {
                prop: rewrite_refs(sub, classes, dropped) for prop, sub in value.items()
            }
        else:
            out[key] = rewrite_refs(value, classes, dropped)
    return out


# Python-only regex syntax that the JSON Schema dialect (ECMA-262) does not have.
_NOT_ECMA = re.compile(r"\(\?P[<=>]|\(\?[aiLmsux-]+[):]|\(\?#|\\[AZz]|[*+?}]\+")


def _bad_patterns(schema: Any) -> list[str]:
    """Drop (in place) each `pattern` that Python's `re` cannot compile or that is not
    ECMA-262 syntax; a message per dropped one. Generated models compile their patterns at
    import, so a bad one would make the package fail to import."""
    problems = []
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        pattern = node.get("pattern")
        if "pattern" in node:
            reason = None
            if not isinstance(pattern, str):
                reason = "is not a string"
            else:
                try:
                    re.compile(pattern)
                except (re.error, OverflowError, RecursionError) as exc:
                    reason = f"is not a regular expression ({exc})"
                else:
                    if _NOT_ECMA.search(pattern):
                        reason = "uses Python-only syntax, not the ECMA-262 dialect of JSON Schema"
            if reason:
                problems.append(
                    f"pattern {escape_text(pattern)} {reason}; the constraint was left out"
                )
                del node["pattern"]
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                stack.extend(value.values())
            elif key not in DATA_KEYWORDS:
                stack.append(value)
    return problems


def _schema_nodes(schema: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Every schema object inside `schema` (itself first) with its JSON pointer from there;
    data keywords (`enum`, `default`, examples) are not entered. A node may be changed
    before the walk goes on: its children are read after it was handed out."""
    stack: list[tuple[Any, str]] = [(schema, "")]
    while stack:
        node, here = stack.pop()
        if isinstance(node, list):
            stack.extend((item, f"{here}/{i}") for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        yield node, here
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                stack.extend(
                    (sub, f"{here}/properties/{_escape_pointer(name)}")
                    for name, sub in value.items()
                )
            elif key not in DATA_KEYWORDS:
                stack.append((value, f"{here}/{_escape_pointer(key)}"))


def _undefined_required(schema: Any) -> list[tuple[str, str]]:
    """Define (in place) each name an object lists in `required` but nowhere in `properties`.

    JSON Schema validates `required` on its own: the property must be present, and with no
    schema of its own (nor `additionalProperties`) any value is acceptable for it. So the
    model carries it as a required field of any type; (message, pointer) per such name. The
    branches of an `allOf` count as one object (a branch may require what a sibling
    defines); an object whose fields may come from elsewhere (a `$ref`, `anyOf`/`oneOf`,
    `patternProperties`, or a branch of those) is left as it is."""
    problems = []
    for node, here in _schema_nodes(schema):
        if _BRANCH.search(here) or any(
            key in node for key in ("anyOf", "oneOf", "$ref", "patternProperties")
        ):
            continue
        parts = [(node, here)]
        branches = node.get("allOf")
        if isinstance(branches, list):
            if not all(
                isinstance(b, dict)
                and not any(k in b for k in ("allOf", "anyOf", "oneOf", "$ref"))
                for b in branches
            ):
                continue  # a branch's fields are not all in sight
            parts += [(b, f"{here}/allOf/{i}") for i, b in enumerate(branches)]
        defined = {
            name
            for part, _ in parts
            if isinstance(part.get("properties"), dict)
            for name in part["properties"]
        }
        for part, where in parts:
            required = part.get("required")
            if not isinstance(required, list) or not (
                isinstance(part.get("properties"), dict) or part.get("type") == "object"
            ):
                continue
            extra = part.get("additionalProperties")
            for name in required:
                if not isinstance(name, str) or name in defined:
                    continue
                part.setdefault("properties", {})[name] = (
                    dict(extra) if isinstance(extra, dict) else {}
                )
                defined.add(name)
                problems.append(
                    (
                        f"required property {escape_text(name)} is not defined in `properties`; "
                        "JSON Schema then accepts any value for it, but it must be present: "
                        "it is a required field of any type",
                        f"{where}/required",
                    )
                )
    return problems


_BRANCH = re.compile(r"/(allOf|anyOf|oneOf)/\d+$")


def _values_against_type(schema: Any) -> list[tuple[str, str]]:
    """Resolve (in place) each `enum`/`const` that contradicts the `type` beside it, which no
    value could satisfy (JSON Schema applies both): enum members of another type are dropped
    (they were never valid); when none is left, or the `const` is of another type, the listed
    values win and the `type` is dropped, as the models type them (a `Literal` of the
    values). Bounds and lengths apply only to values of their own kind, so they stay.
    (message, pointer) per resolved contradiction."""
    problems = []
    for node, here in _schema_nodes(schema):
        kinds = node.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(kinds, list) or not kinds:
            continue
        fits = functools.partial(_fits_kinds, kinds=kinds)
        enum = node.get("enum")
        named = escape_text(node["type"])
        if isinstance(enum, list) and enum and not all(map(fits, enum)):
            kept = [value for value in enum if fits(value)]
            if kept:
                node["enum"] = kept
                wrong = escape_text([v for v in enum if not fits(v)])
                message = (
                    f"enum values {wrong} are not of type {named}; they were left out"
                )
            else:
                del node["type"]
                message = f"no enum value is of type {named}; the values win and the type was left out"
            problems.append((message, f"{here}/enum"))
        elif "const" in node and not fits(node["const"]):
            del node["type"]
            problems.append(
                (
                    f"const {escape_text(node['const'])} is not of type {named}; "
                    "the const wins and the type was left out",
                    f"{here}/const",
                )
            )
    return problems


def _duplicate_branches(schema: Any) -> list[tuple[str, str]]:
    """Drop (in place) a `oneOf` branch equal to an earlier one: a value that fits one fits
    both, and `oneOf` then refuses it, so no value could be valid; the author listed one
    alternative twice. In `anyOf` a repeat changes nothing and goes too, silently."""
    problems = []
    for node, here in _schema_nodes(schema):
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            if not isinstance(branches, list):
                continue
            unique: list[Any] = []
            for branch in branches:
                if branch not in unique:
                    unique.append(branch)
            if len(unique) == len(branches):
                continue
            node[key] = unique
            if key == "oneOf":
                problems.append(
                    (
                        f"oneOf lists the same schema more than once, which no value could "
                        f"satisfy; {len(branches) - len(unique)} repeat(s) left out",
                        f"{here}/oneOf",
                    )
                )
    return problems


def _fits_kinds(value: Any, kinds: list[Any]) -> bool:
    """Whether a JSON value is of one of the types (1.0 is an integer, as JSON Schema says)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return any(_json_type_is(value, str(kind)) for kind in kinds)


def escape_text(value: Any) -> str:
    return repr(value)[:120]


def _schema(
    raw: Any,
    classes: dict[str, str],
    report: Report,
    where: tuple[str, int | None, str],
) -> Any:
    """A reader's schema, cleaned, with its refs rewritten; a ref that leaves the document
    (another file, a URL) is a located error, unless `external_refs = "project"` lets a file
    inside the project folder be read (readers.external); one that points nowhere is a warning
    and is left out.
    """
    dropped: list[str] = []
    cleaned = rewrite_refs(
        clean_schema(external.inline(raw, where[0], report)), classes, dropped
    )
    file, line, pointer = where
    for problem in _bad_patterns(cleaned):
        report.warn(file, line, problem, pointer)
    for check in (_undefined_required, _values_against_type, _duplicate_branches):
        for problem, here in check(cleaned):
            report.warn(file, line, problem, pointer + here)
    for ref in dict.fromkeys(dropped):
        if external.is_external(ref):
            raise fail(file, line, external.refusal(ref), pointer)
        report.warn(
            file,
            line,
            f"$ref {ref!r} is not a schema of the inputs ({external.why_not(ref)}); it was left out",
            pointer,
        )
    return cleaned


READER_REF, DEFS_REF = "#/components/schemas/", "#/$defs/"
APIFOX_VARIABLE = re.compile(
    r"\{\{[^}]*\}\}"
)  # {{token}}: filled in from an Apifox environment
DATA_KEYWORDS = ("default", "enum", "const", "example", "examples", "x-provenance")


def resolve(schema: Any, schemas: dict[str, Schema], depth: int = 0) -> Any:
    """Follow a top-level `$ref` into the shared schemas (a chain, not a cycle)."""
    while (
        isinstance(schema, dict)
        and isinstance(schema.get("$ref"), str)
        and schema["$ref"].startswith(DEFS_REF)
        and depth < 20
    ):
        schema = schemas.get(schema["$ref"][len(DEFS_REF) :], {})
        depth += 1
    return schema


def finalize(endpoints: list[Endpoint]) -> None:
    """Names that depend on what overlays added: an output schema gets a model."""
    for endpoint in endpoints:
        names = endpoint["names"]
        if endpoint.get("output_schema") is not None and not names.get("output_model"):
            names["output_model"] = f"{names['class']}Output"


def _name_base(source: SourceEndpoint, prefixes: tuple[str, ...]) -> str:
    path = source.path
    for prefix in prefixes:
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    if _is_queue_source(source):
        return path  # a model id names its endpoint: /fal-ai/flux-lora -> flux_lora
    if (
        source.source_id
        and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", source.source_id)
        and not source.source_id.isdigit()
    ):
        return source.source_id  # an operationId
    readable = re.sub(r"\{([^}]*)\}", r"by_\1", path)
    return f"{source.method.lower()}_{readable}"


# "auto" keeps an API with at most this many plain endpoints flat on the client.
FLAT_UP_TO = 10


def place_methods(
    placed: list[tuple[SourceEndpoint, Endpoint]], config: Config
) -> None:
    """Each endpoint's place on the client: `names.namespace` (the resource path, one snake
    name per Apifox folder or OpenAPI tag level: `client.admin.users`) and `names.method`.

    Plain endpoints are grouped by folder when `namespaces` is "folders", or "auto" and the
    API has more than FLAT_UP_TO of them in more than one folder; otherwise (and always for
    queue endpoints, which are resources themselves: `client.flux_lora`) they stay on the
    client under their attribute. Names are decided in the order of the folders' own names
    and of the endpoints' stable keys, so they do not depend on the order of the export.
    """
    rest = [(s, e) for s, e in placed if e["queue"] is None]
    groups = sorted({tuple(e["group"]) for _, e in rest})
    nested = config.namespaces == "folders" or (
        config.namespaces == "auto" and len(rest) > FLAT_UP_TO and len(groups) > 1
    )
    if not nested:
        return  # names.method is the attribute, names.namespace []
    root: set[str] = {e["names"]["attribute"] for _, e in placed if e["queue"]}
    taken: dict[tuple[str, ...], set[str]] = {(): root}
    paths: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
    for group in groups:
        for depth in range(1, len(group) + 1):
            if group[:depth] in paths:
                continue
            parent = paths[group[: depth - 1]]
            name = naming.namespace_identifier(group[depth - 1], taken[parent])
            paths[group[:depth]] = (*parent, name)
            taken[(*parent, name)] = set(naming.RESOURCE_MEMBERS)
    bases = [
        (e, paths[tuple(e["group"])], _method_words(s, config.strip_name_prefixes))
        for s, e in rest
    ]
    words: dict[int, str] = {}
    for path in {path for _, path, _ in bases}:
        members = [(e, w) for e, p, w in bases if p == path]
        segments = [w for _, (w, named) in members if not named]
        common = _common_prefix(segments)
        for endpoint, (segs, named) in members:
            if named:
                words[id(endpoint)] = "_".join(segs)
                continue
            joined = "_".join(segs)
            stripped = _strip(joined, path)
            if stripped == joined:
                keep = common
                # `list` would need a `_`: `comment_list` says it without one
                while keep and "_".join(segs[keep:]) in naming.NAMESPACE_RESERVED:
                    keep -= 1
                stripped = "_".join(segs[keep:])
            words[id(endpoint)] = stripped
    for endpoint, path, (_, named) in bases:
        own = words[id(endpoint)]
        clash = named or any(
            other is not endpoint
            and other_path == path
            and not other_named
            and words[id(other)] == own
            for other, other_path, (_, other_named) in bases
        )
        base = (
            own
            if named or (own and not clash)
            else f"{endpoint['method'].lower()}_{own}".rstrip("_")
        )
        endpoint["names"]["namespace"] = list(path)
        endpoint["names"]["method"] = naming.identifier(
            base, taken[path], fallback="endpoint", reserved=naming.NAMESPACE_RESERVED
        )


def _common_prefix(paths: list[list[str]]) -> int:
    """How many leading path segments every endpoint of a namespace shares (`blog_server`,
    `comment` of `/blog_server/comment/list` and `/blog_server/comment/action`): they say
    nothing about one method. One endpoint alone keeps its last segment."""
    if not paths:
        return 0
    if len(paths) == 1:
        return max(len(paths[0]) - 1, 0)
    count = 0
    while all(len(p) > count and p[count] == paths[0][count] for p in paths):
        count += 1
    return count


def _strip(words: str, path: tuple[str, ...]) -> str:
    """The path words without what the namespace already says: `/user/login` in `user` is
    `login`, `/admin/users/{id}` in `admin.users` is `by_id` (longest match first)."""
    for start in range(len(path)):
        said = "_".join(path[start:])
        if words == said:
            return ""
        if words.startswith(said + "_"):
            return words[len(said) + 1 :]
    return words


def _method_words(
    source: SourceEndpoint, prefixes: tuple[str, ...]
) -> tuple[list[str], bool]:
    """(the snake words a method is named by, one item per path segment, and whether they
    are the author's operationId): `/users/{id}` -> `users`, `by_id`; the HTTP method is
    added only where needed."""
    base = _name_base(source, prefixes)
    if not base.startswith("/") and not base.startswith(source.method.lower() + "_/"):
        return [naming.snake(base)], True
    path = base.split("_", 1)[1] if not base.startswith("/") else base
    return [w for w in (naming.snake(part) for part in path.split("/")) if w], False


def _is_queue_source(source: SourceEndpoint) -> bool:
    return any(
        isinstance(example, dict) and set(example) >= QUEUE_KEYS
        for response in source.responses
        for example in response.examples
    )


def _class_names(endpoints: list[Endpoint], taken: set[str]) -> None:
    """Model names per endpoint, after every shared model has its name."""
    for endpoint in endpoints:
        names = endpoint["names"]
        cls = naming.class_name(names["attribute"], taken)
        names["class"] = cls
        request = endpoint["request"]
        typed_body = request is not None and request["encoding"] != "raw"
        names["input_model"] = (
            naming.class_name(f"{cls}Input", taken) if typed_body else None
        )
        names["params_model"] = (
            naming.class_name(f"{cls}Params", taken) if endpoint["parameters"] else None
        )
        typed = [
            r
            for r in endpoint["responses"]
            if 200 <= r["code"] < 300 and r["content_type"].endswith("json")
        ]
        for response in endpoint["responses"]:
            # the one success answer is `<Endpoint>Response`; others carry their status
            suffix = "" if typed == [response] else str(response["code"])
            ref = response["schema"].get("$ref")
            if (
                response["content_type"].endswith("json")
                and set(response["schema"]) == {"$ref"}
                and isinstance(ref, str)
                and ref.startswith(DEFS_REF)
            ):
                response["model"] = ref[len(DEFS_REF) :]  # the shared model itself
            elif response["content_type"].endswith("json") and not _is_empty(
                response["schema"]
            ):
                response["model"] = naming.class_name(f"{cls}Response{suffix}", taken)


def _endpoint(
    source: SourceEndpoint,
    attribute: str,
    classes: dict[str, str],
    schemas: dict[str, Schema],
    report: Report,
) -> Endpoint:
    request = _request(source, classes, schemas, report)
    responses = [
        _response(source, response, classes, report) for response in source.responses
    ]
    parameters = _parameters(
        source,
        classes,
        report,
        taken={f["python_name"] for f in (request["fields"] if request else [])},
    )
    return {
        "id": f"{source.method} {source.path}",
        "key": _stable_key(source),
        "method": source.method,
        "path": source.path,
        "title": source.title,
        "description": source.description,
        "source": {"file": source.file, "line": source.line, "pointer": source.pointer},
        "group": list(source.folder),
        "tags": list(source.tags),
        "status": source.status,
        "deprecated": source.deprecated,
        "servers": list(source.servers),
        "security": [list(group) for group in source.security or []],
        "meta": source.meta,
        "names": {
            "attribute": attribute,
            "namespace": [],
            "method": attribute,
            "class": "",
            "input_model": "",
            "params_model": None,
            "output_model": None,
            "test_module": f"test_{attribute}",
            # docs/index.md is the index page: an endpoint named `index` gets index_.md
            "doc_page": f"{attribute}{'_' if attribute in INDEX_PAGES else ''}.md",
        },
        "parameters": parameters,
        "request": request,
        "responses": responses,
        "queue": _queue(source.path, responses),
        "output_schema": None,
    }


def _parameters(
    source: SourceEndpoint, classes: dict[str, str], report: Report, taken: set[str]
) -> list[Parameter]:
    names = set(taken) | set(CALL_ARGUMENTS)
    params: list[Parameter] = []
    placeholders = set(re.findall(r"\{([^}]*)\}", source.path))
    for param in source.parameters:
        if param.location == "header" and param.name.lower() in MEDIA_HEADERS:
            # OpenAPI: such a parameter "SHALL be ignored"; the client sends the body's
            # declared content type and the documented response media types itself
            report.warn(
                source.file,
                source.line,
                f"header parameter {param.name!r} is ignored, as OpenAPI says: the client sends the documented media types",
                f"{source.pointer}/parameters/header/{_escape_pointer(param.name)}",
            )
            continue
        if param.location == "header" and param.name.lower() == "authorization":
            # OpenAPI: ignored too; the credential is the security scheme's, never an argument
            # that would silently replace it
            report.warn(
                source.file,
                source.line,
                f"header parameter {param.name!r} is ignored, as OpenAPI says: credentials come from the "
                "security schemes (pass extra_headers= to send another)",
                f"{source.pointer}/parameters/header/{_escape_pointer(param.name)}",
            )
            continue
        pointer = f"/parameters/{param.location}/{_escape_pointer(param.name)}"
        schema = _schema(
            param.schema, classes, report, (source.file, source.line, pointer)
        )
        if param.description and "description" not in schema:
            schema["description"] = param.description
        _lift(schema, param.name, source, report, pointer)
        fix_defaults(
            schema, _warner(report, source.file, source.line, source.pointer), pointer
        )
        if isinstance(schema.get("default"), str) and APIFOX_VARIABLE.search(
            schema["default"]
        ):
            report.warn(
                source.file,
                source.line,
                f"parameter {param.name!r}: default {schema['default']!r} is an Apifox environment variable, not a value; it was left out",
                source.pointer + pointer,
            )
            del schema["default"]
        # the readers' locations are the schema's (source.py); the registry check holds them to it
        location = cast(ParameterLocation, param.location)
        if (
            location == "header"
            and not param.required
            and not HEADER_NAME.match(param.name)
            and not HEADER_VALUE_BAD.search(param.name)  # control characters: an error
        ):
            # An optional header that cannot be sent: the operation stays callable without it.
            report.warn(
                source.file,
                source.line,
                f"optional header parameter {param.name!r} is not a valid header name "
                "(an RFC 9110 token); it was left out of the client",
                source.pointer + pointer,
            )
            continue
        if location == "header":
            _check_header(param.name, schema, param.example, source, pointer)
        relocated = location == "path" and param.name not in placeholders
        if relocated:
            # the document requires it in a path that has no place for it: no request meets
            # that, so the query holds it, and a request without it is as valid as one with
            report.warn(
                source.file,
                source.line,
                f"path parameter {param.name!r} does not appear in {source.path}; it is sent as an optional query parameter",
                source.pointer + pointer,
            )
            location = "query"
        entry: Parameter = {
            "name": param.name,
            "in": location,
            "python_name": naming.identifier(
                param.name, names, reserved=naming.PARAMETER_RESERVED
            ),
            "required": (param.required or location == "path") and not relocated,
            "description": param.description,
            "schema": schema,
        }
        if param.example is not None and _is_json_value(param.example):
            entry["example"] = param.example  # the docs' value for the argument
        if param.style is not None or param.explode is not None:
            style = param.style or (
                "form" if location in ("query", "cookie") else "simple"
            )
            entry["style"] = style
            entry["explode"] = (
                param.explode if param.explode is not None else style == "form"
            )
        params.append(entry)
    return params


# RFC 9110 field names are tokens; values carry no control characters (HTAB aside).
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
HEADER_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_header(
    name: str,
    schema: dict[str, Any],
    example: Any,
    source: SourceEndpoint,
    pointer: str,
) -> None:
    """A header that could never be sent is an input error, found here rather than at call time."""
    if not HEADER_NAME.match(name):
        raise fail(
            source.file,
            source.line,
            f"header parameter {name!r} is not a valid header name; expected an RFC 9110 token "
            "(letters, digits and !#$%&'*+-.^_`|~, no spaces or control characters)",
            pointer,
        )
    values = [example, schema.get("default"), schema.get("example")]
    values += schema.get("enum") or [] if isinstance(schema.get("enum"), list) else []
    for value in values:
        if isinstance(value, str) and HEADER_VALUE_BAD.search(value):
            raise fail(
                source.file,
                source.line,
                f"header parameter {name!r}: value {value!r} holds a control character; "
                "expected a value that can be sent in a header",
                pointer,
            )


ENCODINGS: tuple[tuple[str, Encoding], ...] = (
    ("json", "json"),
    ("x-www-form-urlencoded", "form"),
    ("multipart", "multipart"),
)


def encoding_of(content_type: str) -> Encoding:
    for marker, encoding in ENCODINGS:
        if marker in content_type:
            return encoding
    return "raw"


def _request(
    source: SourceEndpoint,
    classes: dict[str, str],
    schemas: dict[str, Schema],
    report: Report,
) -> Request | None:
    if source.request is None:
        return None
    encoding = encoding_of(source.request.content_type)
    schema = _schema(
        source.request.schema or {},
        classes,
        report,
        (
            source.file,
            source.request_line or source.line,
            source.pointer + "/requestBody",
        ),
    )
    if encoding != "raw" and not schema:
        schema = {"type": "object", "properties": {}}
    _lift_properties(schema, source, report, pointer="")
    fix_defaults(
        schema,
        _warner(
            report, source.file, source.request_line or source.line, source.pointer
        ),
        "/requestBody",
    )
    body = resolve(schema, schemas)
    flat = (
        encoding != "raw"
        and isinstance(body, dict)
        and isinstance(body.get("properties"), dict)
        and not (source.request.schema and free_form(body))
    )
    fields: list[RequestField] = []
    taken: set[str] = set(CALL_ARGUMENTS)
    if flat:
        required = set(body.get("required", []))
        for wire, prop in body["properties"].items():
            prop = prop if isinstance(prop, dict) else {}
            fields.append(
                {
                    "name": wire,
                    "python_name": naming.identifier(
                        wire, taken, reserved=naming.PARAMETER_RESERVED
                    ),
                    # OpenAPI 3.x: the `required` of a readOnly field holds for answers only,
                    # and the one model of the body leaves a writeOnly one optional too
                    "required": wire in required
                    and prop.get("readOnly") is not True
                    and prop.get("writeOnly") is not True,
                    "file_types": prop.get("x-file-types"),
                    # only a multipart part can carry bytes; JSON and form fields are text
                    "binary": prop.get("format") == "binary"
                    and encoding == "multipart",
                }
            )
            if prop.get("format") == "binary" and encoding != "multipart":
                report.warn(
                    source.file,
                    source.request_line or source.line,
                    f"body field {wire!r} is binary but the body is {source.request.content_type}, "
                    "which carries text only; it is sent as a string",
                    f"{source.pointer}/requestBody/properties/{_escape_pointer(wire)}",
                )
    request: Request = {
        "content_type": source.request.content_type,
        "encoding": encoding,
        "schema": schema,
        "fields": fields,
        # A body that is not an object of named fields is passed whole, as `body`.
        "body_param": None if flat else naming.identifier("body", taken),
        "required": source.request.required,
        "examples": source.request.examples,
    }
    if source.request.also:  # other media types the mock takes this body in
        request["also"] = [[kind, encoding_of(kind)] for kind in source.request.also]
    return request


def free_form(schema: dict[str, Any]) -> bool:
    """An object with no named members that admits any (JSON Schema: without `properties`, and
    `additionalProperties` not false, every member is allowed): passed and sent whole, as given.
    """
    kind = schema.get("type")
    return (
        (kind == "object" or (isinstance(kind, list) and "object" in kind))
        and not schema.get("properties")
        and schema.get("additionalProperties", True) is not False
        and not any(key in schema for key in ("allOf", "oneOf", "anyOf"))
    )


def clean_schema(schema: Any) -> Any:
    """A copy without Apifox's editor keys, with properties in the documented order."""
    if isinstance(schema, list):
        return [clean_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    orders = schema.get("x-apifox-orders")
    cleaned = {
        key: (
            value
            if key in DATA_KEYWORDS or key == "properties"
            else clean_schema(value)
        )
        for key, value in schema.items()
        if not key.startswith("x-apifox")
    }
    properties = cleaned.get("properties")
    if isinstance(properties, dict):
        # properties maps names to schemas; clean each schema (once), never the names
        cleaned["properties"] = {
            name: clean_schema(sub) for name, sub in properties.items()
        }
        if isinstance(orders, list):
            ordered = [name for name in orders if name in properties]
            ordered += [name for name in properties if name not in ordered]
            cleaned["properties"] = {
                name: cleaned["properties"][name] for name in ordered
            }
    return cleaned


def _lift_properties(
    schema: dict[str, Any], source: SourceEndpoint, report: Report, pointer: str
) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        here = f"{pointer}/properties/{_escape_pointer(name)}"
        _lift(prop, name, source, report, here)
        if prop.get("type") == "object":
            _lift_properties(prop, source, report, here)
        items = prop.get("items")
        if isinstance(items, dict) and items.get("type") == "object":
            _lift_properties(items, source, report, f"{here}/items")


def fix_defaults(schema: Any, warn: Any, pointer: str = "", depth: int = 0) -> None:
    """Every `default` made to fit its schema: "true" for a boolean becomes true, "5" for an
    integer 5, 5 for a string "5"; one that cannot fit (or is not one of the `enum`) is dropped
    with a warning `warn(message, pointer)`, so the models never carry a contradiction.
    """
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            fix_defaults(item, warn, f"{pointer}/{index}", depth + 1)
        return
    if not isinstance(schema, dict) or depth > 40:
        return
    if "default" in schema:
        fitted = _fit(schema["default"], schema)
        if fitted is _NO_FIT:
            warn(
                f"default {schema['default']!r} does not fit the schema ({_describe(schema)}); it was dropped",
                f"{pointer}/default",
            )
            del schema["default"]
        else:
            schema["default"] = fitted
    for key, value in schema.items():
        if key in DATA_KEYWORDS:
            continue
        if key in (
            "properties",
            "patternProperties",
            "$defs",
            "definitions",
        ) and isinstance(value, dict):
            for name, sub in value.items():
                fix_defaults(
                    sub, warn, f"{pointer}/{key}/{_escape_pointer(name)}", depth + 1
                )
        elif isinstance(value, (dict, list)):
            fix_defaults(value, warn, f"{pointer}/{key}", depth + 1)


_NO_FIT = object()


def _describe(schema: dict[str, Any]) -> str:
    parts = [f"type {schema['type']}"] if "type" in schema else []
    if "format" in schema:
        parts.append(f"format {schema['format']}")
    if "enum" in schema:
        parts.append(f"enum {schema['enum']}")
    return ", ".join(parts) or "no type"


# String formats the models type (uuid.UUID, datetime, date): a default must parse as one.
FORMATS = {
    "uuid": re.compile(r"[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "date-time": re.compile(
        r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
    ),
}


def _fit(value: Any, schema: dict[str, Any]) -> Any:
    if isinstance(value, str) and len(value) > 2 and value[0] == value[-1] == "`":
        value = value[1:-1]  # prose writes code spans: "defaults to `0`"
    branches = [
        b
        for key in ("oneOf", "anyOf")
        for b in schema.get(key) or []
        if isinstance(b, dict)
    ]
    if branches and "type" not in schema and "enum" not in schema:
        for branch in branches:
            fitted = _fit(value, branch)
            if fitted is not _NO_FIT:
                return fitted
        return _NO_FIT if all("type" in b or "enum" in b for b in branches) else value
    kinds = schema.get("type")
    kinds = (
        [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    )
    enum = schema.get("enum")
    candidates = [value] + [_convert(value, kind) for kind in kinds]
    for candidate in candidates:
        if candidate is _NO_FIT:
            continue
        if kinds and not any(_json_type_is(candidate, kind) for kind in kinds):
            continue
        if isinstance(enum, list) and not any(
            candidate == item and type(candidate) is type(item) for item in enum
        ):
            continue
        fmt = FORMATS.get(str(schema.get("format")))
        if (
            isinstance(candidate, str)
            and fmt is not None
            and not fmt.fullmatch(candidate)
        ):
            continue
        return candidate
    if isinstance(enum, list) and not kinds:
        for item in enum:
            if str(item) == str(value):
                return item
    return _NO_FIT


def _convert(value: Any, kind: str) -> Any:
    text = str(value).strip()
    if kind == "boolean" and text.lower() in ("true", "false", "1", "0"):
        return text.lower() in ("true", "1")
    if kind == "integer" and not isinstance(value, bool):
        try:
            number = float(text)
        except ValueError:
            return _NO_FIT
        return int(number) if number.is_integer() else _NO_FIT
    if kind == "number" and not isinstance(value, bool):
        try:
            return float(text) if not re.fullmatch(r"-?\d+", text) else int(text)
        except ValueError:
            return _NO_FIT
    if kind == "string" and isinstance(value, (int, float, bool)):
        return json_text(value)
    if kind == "null" and value in ("", None):
        return None
    return _NO_FIT


def json_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _json_type_is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "null":
        return value is None
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _warner(report: Report, file: str, line: int | None, base: str = "") -> Any:
    def warn(message: str, pointer: str) -> None:
        report.warn(file, line, message, base + pointer)

    return warn


def _escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _lift(
    prop: dict[str, Any],
    name: str,
    source: SourceEndpoint,
    report: Report,
    pointer: str,
) -> None:
    """Apply what the description states; conflicts become warnings and the keyword is not applied.
    A keyword the schema states is never changed by prose (nor is a prose value that does not
    fit it reported); where the schema is the contract (`prose_constraints` off) prose adds
    nothing: lint suggests declaring what it states."""
    declared = prop.get("type") if isinstance(prop.get("type"), str) else None
    line = source.line_of(f'"{name}"', source.request_line or source.line)
    provenance: dict[str, str] = {}

    def warn(message: str) -> None:
        report.warn(
            source.file,
            line,
            f"field {name!r}: {message}",
            # inside the endpoint (Apifox terms), after the endpoint's own pointer in the file
            source.pointer
            + (
                pointer
                if pointer.startswith("/parameters/")
                else f"/requestBody/jsonSchema{pointer}"
            ),
        )

    for lifted in prose.find(str(prop.get("description") or ""), declared):
        stated = lifted.keyword in prop
        try:
            value = _coerce(lifted, declared)
        except prose.CoercionError as exc:
            if not stated and source.prose_constraints:
                warn(f"{lifted.keyword} from {lifted.text!r} not applied: {exc}")
            continue
        if stated and prop[lifted.keyword] != value:
            warn(
                f"the description says {lifted.keyword} {value!r} ({lifted.text!r}) but the schema declares {prop[lifted.keyword]!r}; kept the schema's"
            )
            continue
        if not source.prose_constraints:
            continue
        prop[lifted.keyword] = value
        provenance[lifted.keyword] = lifted.text
    if "x-file-types" not in prop and _takes_image(name, prop):
        prop["x-file-types"] = list(IMAGE_TYPES)
        provenance["x-file-types"] = f"field name {name!r} names an image URL"
    _drop_conflicts(prop, provenance, warn)
    if provenance:
        prop["x-provenance"] = {key: provenance[key] for key in sorted(provenance)}


def _coerce(lifted: prose.Lifted, declared: str | None) -> Any:
    return prose.typed(lifted, declared)


def _takes_image(name: str, prop: dict[str, Any]) -> bool:
    return prop.get("type") == "string" and name.endswith(("image_url", "mask_url"))


def _drop_conflicts(
    prop: dict[str, Any], provenance: dict[str, str], warn: Any
) -> None:
    """A lifted default outside the lifted range or enum is reported and dropped."""
    if "default" not in provenance:
        return
    default = prop["default"]
    low, high, enum = prop.get("minimum"), prop.get("maximum"), prop.get("enum")
    problem = None
    is_number = isinstance(default, (int, float)) and not isinstance(default, bool)
    if is_number and (
        (low is not None and default < low) or (high is not None and default > high)
    ):
        problem = f"default {default!r} is outside the range {low}-{high}"
    if enum is not None and default not in enum:
        problem = f"default {default!r} is not one of {enum}"
    if problem:
        warn(f"{problem}; the default was not applied")
        del prop["default"]
        del provenance["default"]


def _response(
    source: SourceEndpoint,
    response: SourceResponse,
    classes: dict[str, str],
    report: Report | None = None,
) -> Response:
    schema = (
        _schema(
            response.schema,
            classes,
            report,
            (source.file, source.line, f"{source.pointer}/responses/{response.code}"),
        )
        if report is not None
        else rewrite_refs(clean_schema(response.schema), classes)
    )
    if report is not None:
        warn = _warner(report, source.file, source.line, source.pointer)
        fix_defaults(schema, warn, f"/responses/{response.code}")
    if (response.code in (204, 205, 304) or response.code < 200) and (
        response.content_type or response.examples
    ):
        # RFC 9110: these statuses carry no content, whatever the docs show
        if report is not None and not _is_empty(schema):
            warn(
                "a body is documented, but this status carries none (RFC 9110); it was left out",
                f"/responses/{response.code}",
            )
        response = SourceResponse(
            response.code,
            response.name,
            "",
            {},
            [],
            response.range,
            description=response.description,
        )
        schema = {}
    examples = response.examples
    inferred = False
    if _is_empty(schema) and examples and response.content_type.endswith("json"):
        candidate = infer_schema(examples)
        # the documented type wins: examples refine a placeholder, never contradict it
        if _type_allows(schema.get("type"), candidate.get("type")):
            schema = candidate
            inferred = True
    entry: Response = {
        "code": response.code,
        "name": response.name,
        "content_type": response.content_type,
        "schema": schema,
        "schema_inferred_from_examples": inferred,
        "examples": examples,
        "model": None,
    }
    if response.description:
        entry["description"] = response.description
    if response.range:  # first among the keys, as registry.json has always shown it
        return {"range": cast(StatusRange, response.range), **entry}
    return entry


def _is_json_value(value: Any, depth: int = 0) -> bool:
    """Whether `value` is plain JSON data (what the registry can hold as it is)."""
    if depth > 32:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_is_json_value(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and _is_json_value(item, depth + 1)
            for key, item in value.items()
        )
    return False


def _is_empty(schema: dict[str, Any]) -> bool:
    """A placeholder schema (`{}` or an object with no properties) that says nothing."""
    meaningful = (
        "properties",
        "$ref",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "additionalProperties",
        "enum",
        "const",
    )
    return not schema or (
        schema.get("type") in ("object", None)
        and not any(schema.get(key) for key in meaningful)
    )


def _type_allows(documented: Any, inferred: Any) -> bool:
    """Whether a schema inferred as `inferred` may stand for one documented as `documented`
    (no type documented allows any; an inferred schema with no type fits only that)."""
    if documented is None:
        return True
    kinds = documented if isinstance(documented, list) else [documented]
    return inferred in kinds or (inferred == "integer" and "number" in kinds)


def infer_schema(values: list[Any]) -> dict[str, Any]:
    """The narrowest JSON Schema every example satisfies; `null` constrains nothing."""
    present = [value for value in values if value is not None]
    if not present:
        return {}
    if all(isinstance(value, dict) for value in present):
        keys: list[str] = []
        for value in present:
            keys += [key for key in value if key not in keys]
        properties = {
            key: infer_schema([value[key] for value in present if key in value])
            for key in keys
        }
        # No `required`: an example shows what one answer held, not what every answer holds.
        return {"type": "object", "properties": properties}
    if all(isinstance(value, list) for value in present):
        return {
            "type": "array",
            "items": infer_schema([item for value in present for item in value]),
        }
    kinds = {_json_type(value) for value in present}
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    return {"type": kinds.pop()} if len(kinds) == 1 else {}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def _queue(path: str, responses: list[Response]) -> QueueFacts | None:
    """A fal queue endpoint answers a submit with the envelope (request_id, status_url, ...)."""
    for response in responses:
        for example in response["examples"]:
            if isinstance(example, dict) and set(example) >= QUEUE_KEYS:
                segments = path.strip("/").split("/")
                return {
                    "app_id": "/".join(segments[:2]),
                    "detected_from": f"response {response['code']} example",
                }
    return None
