"""What the Markdown docs need, computed from the registry and the endpoint views so that the
docs templates hold no logic: the index grouped like the API (Apifox folders, else OpenAPI
tags), one page per endpoint (parameter table with nested fields, examples from the spec,
every documented response with a field table, Python and curl usage that run against the
package's own mock) and a page with every model.

Anchors are GitHub's heading slugs, made unique per page in the order of the headings, so a
link works in any viewer that follows GitHub (and the test checks every one of them).
"""

from __future__ import annotations

import http
import json
import re
import unicodedata
from typing import Any, cast
from urllib.parse import quote, urlencode

from generator import escape, samples
from generator.normalize import APIFOX_VARIABLE, DEFS_REF, resolve
from generator.registry_types import Endpoint, Parameter, Registry
from generator.views import expected_fields, ordered_params, query_texts, wire_text

MODELS_PAGE = "models.md"
INDEX_PAGE = "index.md"
UPLOAD_FILE = (
    "upload.bin"  # the file a curl example uploads (the Python example sends bytes)
)
MAX_DEPTH = (
    6  # nested field rows shown below a field; deeper ones are on the models page
)


# -- anchors ----------------------------------------------------------------------------------


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation and symbols dropped, spaces to `-`."""
    line = " ".join(
        "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).split()
    ).lower()
    kept = "".join(
        c for c in line if c in " -_" or unicodedata.category(c)[0] in ("L", "N", "M")
    )
    return kept.replace(" ", "-")


class Anchors:
    """One page's anchors: the same heading text twice gets `-1`, `-2`, as GitHub does."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def add(self, text: str) -> str:
        base = slug(text)
        anchor, count = base, self.seen.get(base, 0)
        while anchor in self.seen:
            count += 1
            anchor = f"{base}-{count}"
        self.seen[base] = count
        self.seen[anchor] = 0
        return anchor


# -- text helpers -----------------------------------------------------------------------------

_RELATIVE_LINK = re.compile(r"\]\((?![a-zA-Z][a-zA-Z0-9+.-]*:)")
_BLOCK_START = re.compile(r"^(\s{0,3})(#|=+\s*$|-+\s*$|```|~~~|<)")


def md_block(text: str) -> str:
    """Prose from the spec as Markdown paragraphs: inline Markdown (emphasis, links, code) stays,
    but no line may open a heading, a setext underline or a code fence, so the spec's text
    cannot add anchors or swallow the rest of the page; HTML is escaped (md_text)."""
    lines = escape.md_text(text).split("\n")
    text = "\n".join(_BLOCK_START.sub(r"\1\\\2", line) for line in lines).strip()
    # a relative link points into the spec's own site, not these docs: left as text
    return _RELATIVE_LINK.sub(r"]\\(", text)


def json_block(value: Any) -> str:
    """A value as a JSON code block: readable text (CJK as it is, not `\\uXXXX`)."""
    return escape.md_fence(escape.json_text(value, indent=2), "json")


def example_block(value: Any, content_type: str) -> str:
    if isinstance(value, str) and not content_type.endswith("json"):
        info = (
            "xml" if "xml" in content_type else "html" if "html" in content_type else ""
        )
        return escape.md_fence(value, info or "text")
    return json_block(value)


def _code(value: Any) -> str:
    """A JSON value as inline code in a table cell."""
    return escape.md_code(json.dumps(value, ensure_ascii=False)).replace("|", "\\|")


def reason(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""


# -- schemas as tables ------------------------------------------------------------------------


def _model_of(schema: Any) -> str | None:
    """The shared model a schema is: a `$ref`, or an `allOf` of that one ref alone (how a
    ref with sibling keywords is written)."""
    if not isinstance(schema, dict):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(DEFS_REF):
        return ref[len(DEFS_REF) :]
    parts = schema.get("allOf")
    if isinstance(parts, list) and len(parts) == 1 and "properties" not in schema:
        return (
            _model_of(parts[0])
            if isinstance(parts[0], dict) and "$ref" in parts[0]
            else None
        )
    return None


def type_label(
    schema: Any, defs: dict[str, Any], links: dict[str, str], depth: int = 0
) -> str:
    """A schema's type as Markdown for a table cell: models are links to their section."""
    if not isinstance(schema, dict) or depth > 8:
        return "any"
    name = _model_of(schema)
    if name is not None:
        if name in links:
            return f"[{escape.md_link_text(name)}]({links[name]})"
        return type_label(defs.get(name, {}), defs, links, depth + 1)
    parts: list[str] = []
    for key in ("oneOf", "anyOf"):
        branches = [b for b in schema.get(key) or [] if isinstance(b, dict)]
        if branches:
            labels = [type_label(b, defs, links, depth + 1) for b in branches]
            parts.append(" or ".join(dict.fromkeys(labels)))
    if schema.get("allOf"):
        models = [_model_of(b) for b in schema["allOf"] if isinstance(b, dict)]
        linked = [m for m in models if m in links]
        parts.append(
            " and ".join(f"[{escape.md_link_text(m)}]({links[m]})" for m in linked)
            if linked
            else "object"
        )
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    for one in kinds:
        if one == "array":
            items = schema.get("items")
            parts.append(
                f"array of {type_label(items, defs, links, depth + 1)}"
                if isinstance(items, dict) and items
                else "array"
            )
        elif one == "object" and isinstance(schema.get("additionalProperties"), dict):
            value = type_label(schema["additionalProperties"], defs, links, depth + 1)
            parts.append(f"map of {value}")
        elif one == "string" and schema.get("format"):
            parts.append(f"string ({escape.md_cell(str(schema['format']))})")
        elif isinstance(one, str):
            parts.append(escape.md_cell(one))
    if not parts:
        parts.append("object" if "properties" in schema else "any")
    if schema.get("nullable") is True and "null" not in parts:
        parts.append("null")
    return " or ".join(dict.fromkeys(parts))


def range_text(schema: dict[str, Any]) -> str:
    """Bounds of a value, its length or its item count, as a reader writes them."""
    parts = []
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(xlow, bool):  # draft 4: a flag on minimum
        xlow, low = (low if xlow else None), (None if xlow else low)
    if isinstance(xhigh, bool):
        xhigh, high = (high if xhigh else None), (None if xhigh else high)
    bounds = []
    if low is not None:
        bounds.append(f"≥ {_num(low)}")
    if xlow is not None:
        bounds.append(f"> {_num(xlow)}")
    if high is not None:
        bounds.append(f"≤ {_num(high)}")
    if xhigh is not None:
        bounds.append(f"< {_num(xhigh)}")
    if bounds:
        parts.append(", ".join(bounds))
    for what, lo, hi in (
        ("length", "minLength", "maxLength"),
        ("items", "minItems", "maxItems"),
    ):
        if lo in schema or hi in schema:
            parts.append(
                f"{what} {_num(schema.get(lo, 0))}–{_num(schema[hi]) if hi in schema else '…'}"
            )
    if "multipleOf" in schema:
        parts.append(f"multiple of {_num(schema['multipleOf'])}")
    if isinstance(schema.get("pattern"), str):
        parts.append("pattern " + escape.md_code(schema["pattern"]).replace("|", "\\|"))
    if schema.get("x-file-types"):
        parts.append(
            "file types " + escape.md_cell(", ".join(map(str, schema["x-file-types"])))
        )
    return "; ".join(parts)


def _num(value: Any) -> str:
    return escape.md_cell(json.dumps(value, ensure_ascii=False))


def enum_text(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return _code(schema["const"])
    values = schema.get("enum")
    return ", ".join(_code(v) for v in values) if isinstance(values, list) else ""


def _flat(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """An object schema with its `allOf` parts merged (refs resolved)."""
    if not isinstance(schema, dict):
        return {}
    merged: dict[str, Any] = (
        samples.merge_all_of(schema, defs) if schema.get("allOf") else schema
    )
    return merged


def _children(schema: Any, defs: dict[str, Any]) -> dict[str, Any] | None:
    """The object whose fields are shown below a field: an inline object, or the items of an
    inline array of objects; None for models (they are links) and scalars."""
    if not isinstance(schema, dict) or _model_of(schema):
        return None
    flat = _flat(schema, defs)
    if isinstance(flat.get("properties"), dict) and flat["properties"]:
        return flat
    items = flat.get("items")
    if isinstance(items, dict) and not _model_of(items):
        inner = _flat(items, defs)
        if isinstance(inner.get("properties"), dict) and inner["properties"]:
            return inner
    return None


def field_rows(
    schema: Any,
    defs: dict[str, Any],
    links: dict[str, str],
    depth: int = 0,
    limit: int = MAX_DEPTH,
) -> list[dict[str, Any]]:
    """One row per field of an object schema, nested inline objects below their field
    (`depth` says how far in); models are linked, not expanded."""
    schema = _flat(schema, defs)
    properties = schema.get("properties")
    if not isinstance(properties, dict) or depth > limit:
        return []
    required = set(schema.get("required") or [])
    rows = []
    for name, sub in properties.items():
        sub = sub if isinstance(sub, dict) else {}
        rows.append(field_row(str(name), sub, name in required, defs, links, depth))
        inner = _children(sub, defs)
        if inner is not None:
            rows += field_rows(inner, defs, links, depth + 1, limit)
    return rows


def field_row(
    name: str,
    schema: dict[str, Any],
    required: bool,
    defs: dict[str, Any],
    links: dict[str, str],
    depth: int,
) -> dict[str, Any]:
    model = _model_of(schema)
    target = defs.get(model, {}) if model else schema
    target = target if isinstance(target, dict) else {}
    description = str(schema.get("description") or target.get("description") or "")
    title = str(schema.get("title") or "")
    if title and title not in description:
        description = f"{title}. {description}" if description else title
    return {
        "name": ("&emsp;" * depth) + ("↳ " if depth else "") + escape.md_code(name),
        "type": type_label(schema, defs, links),
        "required": "yes" if required else "no",
        "default": _code(schema["default"]) if "default" in schema else "",
        "range": range_text(schema),
        "enum": enum_text(schema) or enum_text(target),
        "description": _RELATIVE_LINK.sub(r"]\\(", escape.md_cell(description)),
    }


# -- models -----------------------------------------------------------------------------------


def model_entries(
    registry: Registry, endpoints: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every model a page names: the shared ones, then each endpoint's own (inline request,
    response and result models), with the endpoints that use it."""
    defs = registry["schemas"]
    used: dict[str, list[dict[str, Any]]] = {}
    own: dict[str, dict[str, Any]] = {}

    def note(name: str | None, schema: Any, ep: dict[str, Any]) -> None:
        if not name:
            return
        users = used.setdefault(name, [])
        if ep not in users:
            users.append(ep)
        if name not in defs and isinstance(schema, dict) and name not in own:
            own[name] = schema
        for ref in _refs(schema):
            if ref in defs:
                users = used.setdefault(ref, [])
                if ep not in users:
                    users.append(ep)

    for ep in endpoints:
        request = ep["request"]
        if request:
            note(
                _model_of(request["schema"]) or ep["names"]["input_model"],
                request["schema"],
                ep,
            )
        for response in ep["responses"]:
            note(response.get("model"), response["schema"], ep)
        if ep["output_schema"]:
            note(ep["names"]["output_model"], ep["output_schema"], ep)
    entries = [
        {"name": name, "schema": schema, "shared": True, "used_by": used.get(name, [])}
        for name, schema in sorted(defs.items())
    ]
    entries += [
        {"name": name, "schema": schema, "shared": False, "used_by": used[name]}
        for name, schema in sorted(own.items())
    ]
    return entries


def _refs(schema: Any, depth: int = 0) -> list[str]:
    if depth > 32:
        return []
    if isinstance(schema, dict):
        found = [_model_of(schema)] if _model_of(schema) else []
        for value in schema.values():
            found += _refs(value, depth + 1)
        return [f for f in found if f]
    if isinstance(schema, list):
        return [f for item in schema for f in _refs(item, depth + 1)]
    return []


def model_links(entries: list[dict[str, Any]], page: str) -> dict[str, str]:
    """name -> link to the model's section (from `page`), in the models page's heading order."""
    anchors = Anchors()
    anchors.add("Models")
    prefix = "" if page == MODELS_PAGE else MODELS_PAGE
    return {e["name"]: f"{prefix}#{anchors.add(e['name'])}" for e in entries}


def models_view(
    registry: Registry, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    defs = registry["schemas"]
    links = model_links(entries, MODELS_PAGE)
    found = []
    for entry in entries:
        schema = _flat(entry["schema"], defs)
        rows = field_rows(schema, defs, links)
        found.append(
            {
                "name": entry["name"],
                "anchor": links[entry["name"]][1:],
                "description": md_block(str(schema.get("description") or "")),
                "type": type_label(
                    schema if not rows else {"type": "object"}, defs, links
                ),
                "enum": enum_text(schema),
                "rows": rows,
                "example": json_block(_schema_example(entry["schema"], defs)),
                "used_by": [
                    (
                        escape.md_link_text(ep["title"] or ep["id"]),
                        ep["names"]["doc_page"],
                    )
                    for ep in entry["used_by"]
                ],
            }
        )
    return found


def _schema_example(schema: Any, defs: dict[str, Any]) -> Any:
    examples = schema.get("examples") if isinstance(schema, dict) else None
    candidates = (
        [schema["example"]] if isinstance(schema, dict) and "example" in schema else []
    ) + (examples if isinstance(examples, list) else [])
    found, value = samples.first_valid(candidates, schema, defs)
    return value if found else samples.build(schema, defs, required_only=False)


# -- one endpoint -----------------------------------------------------------------------------


def call_path(endpoint: dict[str, Any]) -> str:
    """How Python reaches the endpoint from a client: the one place the docs take it from."""
    names = endpoint["names"]
    method = names.get("method") or names["attribute"]
    return "client." + ".".join([*(names.get("namespace") or []), str(method)])


def _param_example(
    arg: dict[str, Any], param: Parameter, defs: dict[str, Any]
) -> tuple[bool, Any]:
    """The spec's example of a parameter when it is a valid value (an Apifox `{{variable}}`
    is a placeholder, not a value)."""
    for value in (param.get("example"), arg["schema"].get("example")):
        # "" is how exports leave an example blank (and no path segment is empty)
        if (
            value is None
            or value == ""
            or (isinstance(value, str) and APIFOX_VARIABLE.search(value))
        ):
            continue
        if samples.is_valid(value, arg["schema"], defs):
            return True, value
    return False, None


def param_values(view: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """The parameters the examples pass: each one's documented example when it is valid
    (optional ones included, except where a security scheme sends the credential: the
    example there is a placeholder token), else a valid value for a required one."""
    defs = registry["schemas"]
    schemes = registry.get("security_schemes", {})
    credentials = {
        (schemes[i]["in"], schemes[i]["name"].lower())
        for alternative in view.get("security") or []
        for i in alternative
        if i in schemes
    }
    values: dict[str, Any] = {}
    for arg, param in zip(
        view["param_args"], ordered_params(cast(Endpoint, view)), strict=True
    ):
        if arg["required"]:
            found, value = _param_example(arg, param, defs)
            values[arg["py"]] = (
                value
                if found
                else samples.valid_value(arg["schema"], defs, name=arg["wire"])[1]
            )
        elif (arg["location"], arg["wire"].lower()) not in credentials:
            found, value = _param_example(arg, param, defs)
            if found:
                values[arg["py"]] = value
    return values


def body_fields(view: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """Body field values for the examples when the spec gives no request example: a valid
    body with every field (the view's own has only the required ones); None otherwise.
    """
    request = view["request"]
    if (
        not request
        or view["whole_body"] is not None
        or request["encoding"] != "json"
        or samples.first_valid(request["examples"], request["schema"], defs)[0]
    ):
        return None
    found, value = samples.valid_value(request["schema"], defs, required_only=False)
    if (
        not found
        or not isinstance(value, dict)
        or not samples.is_valid(value, request["schema"], defs)
    ):
        return None
    return {a["py"]: value[a["wire"]] for a in view["body_args"] if a["wire"] in value}


def docs_arguments(
    view: dict[str, Any], params: dict[str, Any], body: dict[str, Any] | None = None
) -> dict[str, str]:
    """Python source of each keyword argument of the examples, in signature order: the
    parameters above, and the body the view built from the spec's request example."""
    sources = dict(view["example_kwargs"])
    values = {**params, **(body or {})}
    sources.update({py: escape.py_literal(value) for py, value in values.items()})
    return {a["py"]: sources[a["py"]] for a in view["args"] if a["py"] in sources}


def python_sync(view: dict[str, Any], package: str, arguments: dict[str, str]) -> str:
    call = call_path(view)
    if view["is_queue"]:
        lines = [
            f"from {package} import Client",
            "",
            "with Client() as client:",
            *_call_lines("    result = ", f"{call}.run", arguments, "    "),
            "    print(result)",
        ]
    elif _error_only(view):
        lines = [
            f"from {package} import APIError, Client",
            "",
            "with Client() as client:",
            "    try:",
            *_call_lines("        answer = ", call, arguments, "        "),
            f"    except APIError as error:  # the docs list only a {view['answer']['code']} answer",
            "        print(error.status_code, error.body)",
        ]
    else:
        lines = [
            f"from {package} import Client",
            "",
            "with Client() as client:",
            *_call_lines("    answer = ", call, arguments, "    "),
            "    print(answer)",
        ]
    return "\n".join(lines)


def _error_only(view: dict[str, Any]) -> bool:
    """Whether the docs list no success: the call then answers (and raises) what they list."""
    return not view["is_queue"] and int(view["answer"]["code"]) >= 400


def python_async(view: dict[str, Any], package: str, arguments: dict[str, str]) -> str:
    call = call_path(view)
    if view["is_queue"]:
        body = [
            *_call_lines(
                "        handle = await ", f"{call}.submit", arguments, "        "
            ),
            "        status = await handle.status(logs=True)  # Queued, InProgress or Completed",
            "        print(status)",
            "        result = await handle.result()  # waits until the request completes",
            "        print(result)",
        ]
    elif _error_only(view):
        body = [
            "        try:",
            *_call_lines(
                "            answer = await ", call, arguments, "            "
            ),
            f"        except APIError as error:  # the docs list only a {view['answer']['code']} answer",
            "            print(error.status_code, error.body)",
        ]
    else:
        body = [
            *_call_lines("        answer = await ", call, arguments, "        "),
            "        print(answer)",
        ]
    return "\n".join(
        [
            "import asyncio",
            "",
            f"from {package} import {'APIError, ' if _error_only(view) else ''}AsyncClient",
            "",
            "",
            "async def main() -> None:",
            "    async with AsyncClient() as client:",
            *body,
            "",
            "",
            "asyncio.run(main())",
        ]
    )


def _call_lines(
    start: str, call: str, arguments: dict[str, str], indent: str
) -> list[str]:
    if not arguments:
        return [f"{start}{call}()"]
    return (
        [f"{start}{call}("]
        + [f"{indent}    {name}={value}," for name, value in arguments.items()]
        + [f"{indent})"]
    )


def _auth_options(
    view: dict[str, Any], registry: Registry, params: dict[str, Any] | None = None
) -> list[str]:
    """curl options for the first alternative of the endpoint's security (the credential from
    its variable); a scheme the command sends as its own parameter (in `params`) is left to
    that one.
    """
    schemes = registry.get("security_schemes", {})
    own = {
        (a["location"], a["wire"].lower())
        for a in view["param_args"]
        if a["py"] in (params or {})
    }
    options = []
    for ident in (view.get("security") or [[]])[0]:
        scheme = schemes.get(ident)
        if scheme is None or (scheme["in"], scheme["name"].lower()) in own:
            continue
        env = '"$' + scheme["env"] + '"'
        if scheme["basic"]:
            user = scheme["env"] + "_USERNAME"
            options.append(f'-u "${user}:${scheme["env"]}_PASSWORD"')
        elif scheme["in"] == "header":
            prefix = f"{scheme['prefix']} " if scheme["prefix"] else ""
            options.append("-H " + escape.sh_arg(f"{scheme['name']}: {prefix}") + env)
        elif scheme["in"] == "cookie":
            options.append("-b " + escape.sh_arg(f"{scheme['name']}=") + env)
        else:
            options.append("--url-query " + escape.sh_arg(f"{scheme['name']}=") + env)
    return options


def curl_command(
    view: dict[str, Any], registry: Registry, params: dict[str, Any]
) -> str:
    """A curl command that sends what the Python example sends: path, query, header and
    cookie parameters, credentials as the spec says, the body in its declared encoding.
    """
    base = (view.get("base_url") or registry["base_url"]).rstrip("/")
    path = view["path"]
    query: list[tuple[str, str]] = []
    options: list[str] = []
    cookies: list[str] = []
    for arg, param in zip(
        view["param_args"], ordered_params(cast(Endpoint, view)), strict=True
    ):
        if arg["py"] not in params:
            continue
        value = params[arg["py"]]
        if arg["location"] == "path":
            text = (
                ",".join(quote(wire_text(item), safe="") for item in value)
                if isinstance(value, list)
                else quote(wire_text(value), safe="")
            )
            path = path.replace("{" + arg["wire"] + "}", text)
        elif arg["location"] == "query":
            for text in query_texts(
                value, param.get("style", "form"), param.get("explode", True)
            ):
                query.append((arg["wire"], text))
        elif arg["location"] == "header":
            options.append("-H " + escape.sh_arg(f"{arg['wire']}: {wire_text(value)}"))
        else:
            cookies.append(f"{arg['wire']}={quote(wire_text(value), safe='')}")
    url = base + path + ("?" + urlencode(query, quote_via=quote) if query else "")
    words = [f"curl -X {view['method']} {escape.sh_arg(url)}"]
    words += _auth_options(view, registry, params) + options
    if cookies:
        words.append("-b " + escape.sh_arg("; ".join(cookies)))
    words += _body_options(view)
    return " \\\n  ".join(words)


def queue_curl(view: dict[str, Any], registry: Registry) -> str:
    """Status (with logs) and result of a submitted request, its id in `$REQUEST_ID`."""
    base = (view.get("base_url") or registry["base_url"]).rstrip("/")
    prefix = f"{base}/{view['queue']['app_id']}/requests/"
    auth = _auth_options(view, registry)
    commands = []
    for suffix in ("/status?logs=1", ""):
        url = (
            escape.sh_arg(prefix)
            + '"$REQUEST_ID"'
            + (escape.sh_arg(suffix) if suffix else "")
        )
        commands.append(" \\\n  ".join([f"curl {url}", *auth]))
    return "\n".join(commands)


def _body_options(view: dict[str, Any]) -> list[str]:
    request = view["request"]
    if not request:
        return []
    encoding, content_type = request["encoding"], request["content_type"]
    body = view["expected_body"]
    if encoding == "json" or view["is_queue"]:
        return [
            "-H "
            + escape.sh_arg(f"Content-Type: {content_type or 'application/json'}"),
            "--data-raw "
            + escape.sh_arg(escape.json_text(body, indent=2), multiline=True),
        ]
    if encoding == "raw":
        text = body if isinstance(body, str) else escape.json_text(body, indent=2)
        return [
            "-H " + escape.sh_arg(f"Content-Type: {content_type}"),
            "--data-binary " + escape.sh_arg(text, multiline=True),
        ]
    if encoding == "form":
        return [
            "--data-urlencode " + escape.sh_arg(f"{name}={value}")
            for name, value in (body or {}).items()
        ] or ["-H " + escape.sh_arg(f"Content-Type: {content_type}"), "--data-raw ''"]
    # multipart: text fields as they are (never read as @file), files from disk
    options = [
        "--form-string " + escape.sh_arg(f"{name}={value}")
        for name, value in (body or {}).items()
    ]
    options += [
        "-F " + escape.sh_arg(f"{a['wire']}=@{UPLOAD_FILE}")
        for a in view["file_args"]
        if a["py"] in dict(view["example_kwargs"])
    ]
    return options or [
        "-H " + escape.sh_arg(f"Content-Type: {content_type}"),
        "--data-raw ''",
    ]


def parameter_rows(
    view: dict[str, Any], defs: dict[str, Any], links: dict[str, str]
) -> list[dict[str, Any]]:
    """The method's arguments (parameters and body fields), nested body fields below theirs."""
    rows = []
    for arg in view["args"]:
        location = {"whole_body": "body", "file": "body (file)"}.get(
            arg["location"], arg["location"]
        )
        row = field_row(
            arg["wire"] or "(body)", arg["schema"], arg["required"], defs, links, 0
        )
        row["in"] = location
        if arg["py"] != arg["wire"]:
            row["name"] += f" (`{arg['py']}`)"
        if arg["location"] == "file":
            row["type"] = "file"
        if arg["file_types"]:
            row["description"] += (" " if row["description"] else "") + (
                "Takes a URL, a `Path` or `bytes`."
            )
        rows.append(row)
        if arg["location"] == "whole_body":
            inner = _children(resolve(arg["schema"], defs), defs)
            if inner is not None and not _model_of(arg["schema"]):
                rows += [
                    dict(r, **{"in": "body"}) for r in field_rows(inner, defs, links, 1)
                ]
            continue
        inner = _children(arg["schema"], defs)
        if inner is not None:
            rows += [
                dict(r, **{"in": location}) for r in field_rows(inner, defs, links, 1)
            ]
    return rows


def response_views(
    view: dict[str, Any], defs: dict[str, Any], links: dict[str, str]
) -> list[dict[str, Any]]:
    """Every documented response: status, name, description, the fields of its body (a
    model's own fields, its nested models linked) and its examples, else a generated one.
    """
    found = []
    built = {r["code"]: r for r in view.get("mock_responses") or []}
    for response in view["responses"]:
        schema = response["schema"]
        model = response.get("model")
        target = resolve(schema, defs)
        rows = field_rows(target, defs, links)
        content_type = response["content_type"]
        examples = list(response["examples"])
        generated = False
        if not examples and content_type:
            generated = True
            mocked = built.get(response["code"])
            examples = [
                (
                    mocked["built"]
                    if mocked is not None
                    else samples.build(schema, defs, required_only=False)
                )
            ]
        found.append(
            {
                "code": response["code"],
                "title": " ".join(
                    (response["name"] or reason(response["code"]) or "").split()
                ),
                "range": response.get("range"),
                "description": md_block(str(response.get("description") or "")),
                "content_type": content_type,
                "inferred": response["schema_inferred_from_examples"],
                "type": type_label(schema, defs, links) if content_type else "",
                "model": (
                    f"[{escape.md_link_text(model)}]({links[model]})"
                    if model in links
                    else ""
                ),
                "rows": rows,
                "examples": [example_block(e, content_type) for e in examples],
                "generated": generated,
            }
        )
    return found


def endpoint_docs(
    view: dict[str, Any], registry: Registry, links: dict[str, str]
) -> dict[str, Any]:
    """Everything the endpoint page shows."""
    defs = registry["schemas"]
    package = registry["package"]
    params = param_values(view, registry)
    body = body_fields(view, defs)
    arguments = docs_arguments(view, params, body)
    if body is not None:
        view = {**view, "expected_body": expected_fields(view["body_args"], body)}
    request = view["request"]
    output = view["names"]["output_model"]
    return {
        "call": call_path(view),
        "python": python_sync(view, package, arguments),
        "python_async": python_async(view, package, arguments),
        "curl": curl_command(view, registry, params),
        "queue_curl": queue_curl(view, registry) if view["is_queue"] else "",
        "description": md_block(view["description"]),
        "group": " / ".join(view["group"] or view["tags"][:1]),
        "parameters": parameter_rows(view, defs, links),
        "request": (
            {
                "content_type": request["content_type"],
                "model": (
                    f"[{escape.md_link_text(m)}]({links[m]})"
                    if (
                        m := _model_of(request["schema"])
                        or view["names"]["input_model"]
                    )
                    in links
                    else ""
                ),
                "example": (
                    json_block(view["expected_body"])
                    if body is not None
                    else (
                        example_block(view["example"], request["content_type"])
                        if request["encoding"] in ("json", "raw")
                        else json_block(view["expected_body"])
                    )
                ),
                "documented": bool(request["examples"]),
            }
            if request
            else None
        ),
        "responses": response_views(view, defs, links),
        "returns": (
            " or ".join(
                f"[`models.{m}`]({links[m]})" if m in links else f"`models.{m}`"
                for m in dict.fromkeys(
                    r["model"]
                    for r in view["responses"]
                    if 200 <= r["code"] < 300 and r.get("model")
                )
            )
            if not view["is_queue"]
            else (f"[`models.{output}`]({links[output]})" if output in links else "")
        ),
        "result_example": (
            json_block(_schema_example(view["output_schema"], defs))
            if view["is_queue"] and view["output_schema"]
            else ""
        ),
    }


# -- the index --------------------------------------------------------------------------------


def groups(endpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The endpoints by Apifox folder (else first OpenAPI tag), folders nested, in the order
    the export lists them; endpoints in no folder come first."""
    tree: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for ep in endpoints:
        path = tuple(ep["group"] or ep["tags"][:1])
        for depth in range(1, len(path)):
            tree.setdefault(path[:depth], [])
        tree.setdefault(path, []).append(ep)
    # a folder's sub-folders right below it, each level in the order the export lists it
    seen = {path: index for index, path in enumerate(tree)}
    ordered = sorted(
        tree.items(),
        key=lambda item: [seen[item[0][: k + 1]] for k in range(len(item[0]))],
    )
    return [
        {
            "path": list(path),
            "title": path[-1] if path else "",
            "depth": len(path),
            "endpoints": eps,
        }
        for path, eps in ordered
    ]


def index_view(
    registry: Registry, endpoints: list[dict[str, Any]], has_models: bool
) -> dict[str, Any]:
    """The index: headings in page order (their anchors), the grouped endpoint tables."""
    described = {
        tuple(g["path"]): g["description"] for g in registry.get("groups") or []
    }
    anchors = Anchors()
    anchors.add(registry["package"])
    fixed = {}
    for title in ("Contents", "Setup", "Base URL", "Credentials", "Endpoints"):
        fixed[title] = anchors.add(title)
    sections = []
    for group in groups(endpoints):
        title = " / ".join(group["path"]) if not group["title"] else group["title"]
        sections.append(
            {
                **group,
                "heading": "#" * min(6, 2 + max(1, group["depth"])),
                "title": title,
                "anchor": anchors.add(title) if group["path"] else "",
                "description": md_block(described.get(tuple(group["path"]), "")),
                "rows": [
                    {
                        "title": escape.md_link_text(ep["title"] or ep["id"]),
                        "page": ep["names"]["doc_page"],
                        "method": ep["method"],
                        "path": escape.md_code(ep["path"]).replace("|", "\\|"),
                        "call": escape.md_code(call_path(ep)),
                        "deprecated": ep["deprecated"],
                    }
                    for ep in group["endpoints"]
                ],
            }
        )
    for title in ("Errors", "Testing your code"):
        fixed[title] = anchors.add(title)
    first = endpoints[0]
    arguments = docs_arguments(first, param_values(first, registry))
    return {
        "anchors": fixed,
        "sections": sections,
        "has_models": has_models,
        "servers": [
            {
                "name": escape.md_cell(str(s.get("name") or "")),
                "url": escape.md_code(str(s.get("url") or "")).replace("|", "\\|"),
            }
            for s in registry.get("servers") or []
        ],
        "errors_example": _errors_example(first, registry["package"], arguments),
        "testing_example": _testing_example(first, registry, arguments),
    }


def _errors_example(ep: dict[str, Any], package: str, arguments: dict[str, str]) -> str:
    call = call_path(ep) + (".run" if ep["is_queue"] else "")
    return "\n".join(
        [
            f"from {package} import APIError, Client, ClientError, InputValidationError",
            "",
            "with Client() as client:",
            "    try:",
            *_call_lines("        answer = ", call, arguments, "        "),
            "    except InputValidationError as error:  # nothing was sent",
            "        for problem in error.problems:",
            "            print(problem)",
            "    except APIError as error:  # the server answered with an error status",
            "        print(error.status_code, error.request_id, error.body)",
            "    except ClientError as error:  # anything else: connection, timeout, malformed answer",
            "        print(error)",
            "    else:",
            "        print(answer)",
        ]
    )


def _testing_example(
    ep: dict[str, Any], registry: Registry, arguments: dict[str, str]
) -> str:
    package = registry["package"]
    call = call_path(ep) + (".run" if ep["is_queue"] else "")
    return "\n".join(
        [
            f"from {package} import Client",
            f"from {package}.testing import MockServer",
            "",
            "with MockServer() as server:",
            '    with Client(key="test", base_url=server.url) as client:',
            *_call_lines("        answer = ", call, arguments, "        "),
            "    print(answer)",
            "    print(server.requests[-1].method, server.requests[-1].path)",
        ]
    )
