"""Credentials per security scheme, sent exactly where each operation's requirement says.

Every scheme the docs declare (see `SECURITY_SCHEMES` in `_meta.py`) takes its credential from
`Client(credentials={"<scheme>": ...})`, else from `key=` (one key for every scheme), else from
its own environment variable; a basic scheme takes (username, password), from
`username=`/`password=` or `<VARIABLE>_USERNAME`/`<VARIABLE>_PASSWORD`. A requirement is a tuple of alternatives, each a tuple of scheme
ids that must all be sent; `()` sends nothing; an empty alternative makes credentials optional.
Secrets live in `_Secret` holders: no repr, str, log line or error ever shows them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ._meta import SECURITY_SCHEMES
from .errors import MissingCredentialsError

# A token or key; for basic auth (username, password).
Credential = str | tuple[str, str]
Requirement = tuple[tuple[str, ...], ...]


class _Secret:
    """Holds a credential; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


@dataclass(frozen=True)
class Scheme:
    location: str  # "header" | "query" | "cookie"
    name: str  # header, query parameter or cookie name
    prefix: str  # "Bearer", "Basic", "Key", ... or "" (the value as is)
    basic: bool  # base64("username:password")
    env: str  # the environment variable that holds the credential


SCHEMES: dict[str, Scheme] = {
    ident: Scheme(*spec) for ident, spec in SECURITY_SCHEMES.items()
}


def wire_value(scheme: Scheme, secret: str) -> str:
    """What goes on the wire for `secret`: basic credentials are "username:password"."""
    if scheme.basic:
        secret = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    return f"{scheme.prefix} {secret}" if scheme.prefix else secret


def credentials_for(
    key: str | None,
    given: Mapping[str, Credential] | None,
    username: str | None = None,
    password: str | None = None,
) -> dict[str, _Secret]:
    """One secret per scheme that has a credential: given, else `key`, else its variable.
    A basic scheme takes `(username, password)`: given, else `username=`/`password=`, else
    its `<VARIABLE>_USERNAME` and `<VARIABLE>_PASSWORD` (or `"username:password"` in its
    variable); `key=` has no user part, so it is never a basic credential."""
    unknown = sorted(set(given or {}) - set(SCHEMES))
    if unknown:
        raise ValueError(
            f"no security scheme named {unknown}: expected one of {sorted(SCHEMES)}"
        )
    found: dict[str, _Secret] = {}
    for ident, scheme in SCHEMES.items():
        value = (given or {}).get(ident)
        if scheme.basic:
            pair = _basic_pair(ident, scheme, value, username, password)
            if pair is not None:
                found[ident] = _Secret(f"{pair[0]}:{pair[1]}")
            continue
        if value is None:
            value = key if key is not None else os.environ.get(scheme.env)
        if isinstance(value, tuple):
            value = f"{value[0]}:{value[1]}"
        if value:
            found[ident] = _Secret(value)
    return found


def _basic_pair(
    ident: str,
    scheme: Scheme,
    value: Credential | None,
    username: str | None,
    password: str | None,
) -> tuple[str, str] | None:
    """(username, password) of a basic scheme, or None when it has none. RFC 7617: the
    user-id cannot contain a colon; the password may."""
    if value is None and (username is not None or password is not None):
        value = (username or "", password or "")
    if value is None:
        user = os.environ.get(scheme.env + "_USERNAME")
        secret = os.environ.get(scheme.env + "_PASSWORD")
        if user is not None or secret is not None:
            value = (user or "", secret or "")
        else:
            value = os.environ.get(scheme.env) or None
    if value is None:
        return None
    if isinstance(value, str):
        user, colon, secret = value.partition(":")
        if not colon:
            raise ValueError(
                f"the basic-auth credential of {ident!r} has no 'username:password' form: "
                "pass (username, password), or username= and password="
            )
        value = (user, secret)
    if ":" in value[0]:
        raise ValueError(
            f"the basic-auth username of {ident!r} contains ':', which RFC 7617 forbids"
        )
    return value


def placed(
    requirement: Requirement, credentials: Mapping[str, _Secret], where: str
) -> list[tuple[str, str, str]]:
    """(location, name, wire value) of each credential the requirement needs: the first
    alternative whose schemes all have a credential; MissingCredentialsError when none has.
    """
    if not requirement:
        return []
    for alternative in requirement:
        if alternative and all(ident in credentials for ident in alternative):
            return [_place(ident, credentials[ident]) for ident in alternative]
    if () in requirement:
        return []  # the credentials are optional here
    options = " or ".join(
        " and ".join(f"{i!r} ({_variables(SCHEMES[i])})" for i in alt)
        for alt in requirement
    )
    raise MissingCredentialsError(
        f"{where} needs credentials: pass credentials={{...}} or key=... "
        f"(username=/password= for basic), or set {options}"
    )


def _variables(scheme: Scheme) -> str:
    if scheme.basic:
        return f"${scheme.env}_USERNAME and ${scheme.env}_PASSWORD"
    return f"${scheme.env}"


def _place(ident: str, secret: _Secret) -> tuple[str, str, str]:
    scheme = SCHEMES[ident]
    return scheme.location, scheme.name, wire_value(scheme, secret.reveal())
