"""Security schemes of all inputs -> the registry's `security_schemes`
(`dict[str, SecurityScheme]`), and each endpoint's requirement resolved to registry ids (see
readers/security.py for the forms).

- A scheme keeps its name from the spec as its id; the same name with another placement in
  another input gets a suffix (` 2`), the same placement under the same name is shared.
- Each scheme's credential comes from its own environment variable: `[tool.specgen]
  security_env` names it, else `<PACKAGE>_<SCHEME>` (non-ASCII left out; `_AUTH_<n>` when
  nothing is left).
- An endpoint says its requirement, else its document's default applies, else (nothing said
  anywhere) the configured `auth_scheme` as `Authorization: <scheme> <key>` from `auth_env`,
  else no credentials.
"""

from __future__ import annotations

import re
from typing import Any

from generator.config import Config
from generator.readers.source import SourceDocument
from generator.registry_types import SecurityScheme

DEFAULT_ID = "default"


def auth_env(config: Config) -> str:
    return config.auth_env or f"{config.package.upper()}_API_KEY"


def resolve(
    documents: list[SourceDocument], config: Config
) -> dict[str, SecurityScheme]:
    """The registry's schemes; every SourceEndpoint.security is rewritten to registry ids."""
    schemes: dict[str, SecurityScheme] = {}
    envs: set[str] = set()
    for document in documents:
        ids = {
            name: _add(schemes, name, scheme, document.file, config, envs)
            for name, scheme in document.security_schemes.items()
        }
        for endpoint in document.endpoints:
            own = (
                endpoint.security
                if endpoint.security is not None
                else document.security
            )
            if own is None:
                own = [[_default(schemes, config, envs)]] if config.auth_scheme else []
            endpoint.security = [
                [ids.get(name, name) for name in group] for group in own
            ]
    return schemes


def _default(schemes: dict[str, SecurityScheme], config: Config, envs: set[str]) -> str:
    if DEFAULT_ID not in schemes:
        env = auth_env(config)
        envs.add(env)
        schemes[DEFAULT_ID] = {
            "type": "http",
            "in": "header",
            "name": "Authorization",
            "prefix": config.auth_scheme or "",
            "basic": False,
            "description": "the auth_scheme of [tool.specgen]",
            "env": env,
            "source": {"file": "pyproject.toml", "line": 1, "pointer": ""},
        }
    return DEFAULT_ID


def _add(
    schemes: dict[str, SecurityScheme],
    name: str,
    scheme: dict[str, Any],
    file: str,
    config: Config,
    envs: set[str],
) -> str:
    placement = {key: scheme[key] for key in ("type", "in", "name", "prefix", "basic")}
    ident, number = name, 1
    while ident in schemes and _same(schemes[ident], placement) is False:
        number += 1
        ident = f"{name} {number}"
    if ident in schemes:
        return ident
    env = config.security_env.get(name) or _env_for(config.package, name, envs)
    envs.add(env)
    schemes[ident] = {  # the placement's keys first, as in placement
        "type": scheme["type"],
        "in": scheme["in"],
        "name": scheme["name"],
        "prefix": scheme["prefix"],
        "basic": scheme["basic"],
        "description": str(scheme.get("description") or ""),
        "env": env,
        "source": {
            "file": file,
            "line": int(scheme.get("line") or 1),
            "pointer": str(scheme.get("pointer") or ""),
        },
    }
    return ident


def _same(known: SecurityScheme, placement: dict[str, Any]) -> bool:
    return all(
        known.get(key) == value for key, value in placement.items() if key != "type"
    )


def _env_for(package: str, name: str, taken: set[str]) -> str:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    stem = re.sub(r"[^A-Z0-9]+", "_", words.upper()).strip("_")
    base = f"{package.upper()}_{stem}" if stem else f"{package.upper()}_AUTH"
    env, number = base, 1
    while env in taken:
        number += 1
        env = f"{base}_{number}"
    return env
