"""Signed webhook deliveries: check fal's ED25519 signature against its published keys.

fal signs each delivery with these headers:

    X-Fal-Webhook-Request-Id   the request id
    X-Fal-Webhook-User-Id      the account the request belongs to
    X-Fal-Webhook-Timestamp    Unix seconds when it was signed
    X-Fal-Webhook-Signature    hex ED25519 signature

over the message `request_id \\n user_id \\n timestamp \\n hex(sha256(raw body))`, with the keys of
the JWKS at `{rest_url}/.well-known/jwks.json` (OKP / Ed25519 keys, `x` base64url). Keys rotate:
the set is cached for a day and fetched again when no cached key verifies.

The ED25519 check is the `cryptography` package's, imported only when a delivery is verified
(an optional dependency: `pip install cryptography`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from . import _log
from . import _protocol as protocol
from .errors import (
    MissingDependencyError,
    WebhookHeaderError,
    WebhookReplayError,
    WebhookSignatureError,
    WebhookTimestampError,
)

REQUIRES = "cryptography>=42"
JWKS_PATH = "/.well-known/jwks.json"
HEADERS = (
    "x-fal-webhook-request-id",
    "x-fal-webhook-user-id",
    "x-fal-webhook-timestamp",
    "x-fal-webhook-signature",
)


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MissingDependencyError(
            f"verifying webhook signatures needs the optional dependency {REQUIRES!r}: pip install cryptography"
        ) from None
    return ed25519


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_keys(document: Mapping[str, Any]) -> list[bytes]:
    """The raw 32-byte Ed25519 public keys of a JWKS document (other key types are skipped)."""
    keys = []
    for key in document.get("keys", []) if isinstance(document, Mapping) else []:
        if (
            isinstance(key, Mapping)
            and key.get("kty") == "OKP"
            and key.get("crv") == "Ed25519"
            and isinstance(key.get("x"), str)
        ):
            try:
                raw = _b64url(key["x"])
            except (binascii.Error, ValueError):
                continue
            if len(raw) == 32:
                keys.append(raw)
    return keys


class JWKS:
    """fal's webhook keys from `url` (default: $FAL_REST_URL or https://rest.fal.ai, then
    /.well-known/jwks.json), fetched on first use and cached for `ttl` seconds.

    A delivery no cached key verifies makes one early refetch (at most every `min_refetch`
    seconds), so a rotated key is picked up without trusting anything unverified."""

    def __init__(
        self,
        url: str | None = None,
        *,
        ttl: float = 24 * 3600.0,
        min_refetch: float = 60.0,
        http_client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = (
            url
            or (
                os.environ.get(protocol.REST_URL_ENV) or protocol.DEFAULT_REST_URL
            ).rstrip("/")
            + JWKS_PATH
        )
        self.ttl = ttl
        self.min_refetch = min_refetch
        self._http = http_client
        self._timeout = timeout
        self._keys: list[bytes] = []
        self._fetched_at = -float("inf")
        self._lock = threading.Lock()

    def keys(self, *, refresh: bool = False) -> list[bytes]:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age >= self.ttl or (refresh and age >= self.min_refetch):
                self._keys = public_keys(self._get())
                self._fetched_at = time.monotonic()
            return list(self._keys)

    def _get(self) -> Any:
        started = time.monotonic()
        if self._http is not None:
            response = self._http.get(self.url, timeout=self._timeout)
        else:
            with httpx.Client(timeout=self._timeout) as http:
                response = http.get(self.url)
        elapsed = time.monotonic() - started
        _log.exchange(
            protocol.HttpCall("GET", self.url), 1, elapsed, response.status_code
        )
        response.raise_for_status()
        return response.json()


class ReplayGuard:
    """Signatures seen within the tolerance window: the same delivery verified twice is a replay."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, signature: str, expires: float, now: float) -> None:
        with self._lock:
            for old in [s for s, until in self._seen.items() if until < now]:
                del self._seen[old]
            if signature in self._seen:
                raise WebhookReplayError(
                    "this webhook delivery was already verified once (a replay)"
                )
            self._seen[signature] = expires


_DEFAULT_JWKS: JWKS | None = None
_DEFAULT_GUARD = ReplayGuard()


def message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """The bytes fal signs for a delivery."""
    return "\n".join(
        (request_id, user_id, timestamp, hashlib.sha256(body).hexdigest())
    ).encode()


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    jwks: JWKS | Mapping[str, Any] | None = None,
    tolerance: float = 300.0,
    replay: ReplayGuard | None = _DEFAULT_GUARD,
    now: float | None = None,
    parse: Callable[[Any], Any] | None = None,
) -> protocol.WebhookPayload:
    """Verify a webhook delivery and return its payload (typed when `parse` is given).

    `headers`: the request's headers (any case); `body`: its raw bytes, exactly as received.
    `jwks`: a JWKS (fetched and cached; default fal's published set) or a JWKS document.
    Raises WebhookHeaderError, WebhookTimestampError (more than `tolerance` seconds off),
    WebhookSignatureError (no key verifies the body) or WebhookReplayError (seen before; pass
    `replay=None` to allow, or your own ReplayGuard)."""
    ed25519 = _ed25519()
    body = body.encode() if isinstance(body, str) else bytes(body)
    lower = {name.lower(): value for name, value in headers.items()}
    missing = [name for name in HEADERS if not lower.get(name)]
    if missing:
        raise WebhookHeaderError(f"missing webhook header(s): {', '.join(missing)}")
    request_id, user_id, timestamp, signature = (
        lower[name].strip() for name in HEADERS
    )
    try:
        signed_at = int(timestamp)
        raw_signature = bytes.fromhex(signature)
    except ValueError:
        raise WebhookHeaderError(
            "the webhook timestamp must be Unix seconds and the signature hex"
        ) from None
    clock = time.time() if now is None else now
    if abs(clock - signed_at) > tolerance:
        raise WebhookTimestampError(
            f"the webhook was signed {clock - signed_at:.0f} s from now; the tolerance is {tolerance:g} s"
        )
    signed = message(request_id, user_id, timestamp, body)
    if not _verified(ed25519, signed, raw_signature, jwks):
        raise WebhookSignatureError(
            "the webhook signature does not match its body under any published key"
        )
    if replay is not None:
        replay.check(signature.lower(), signed_at + tolerance, clock)
    return protocol.parse_webhook(body, parse or (lambda data: data))


def _verified(
    ed25519: Any, signed: bytes, signature: bytes, jwks: JWKS | Mapping[str, Any] | None
) -> bool:
    from cryptography.exceptions import InvalidSignature

    def any_key(keys: list[bytes]) -> bool:
        for raw in keys:
            try:
                ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(
                    signature, signed
                )
            except InvalidSignature:
                continue
            return True
        return False

    if isinstance(jwks, Mapping):
        return any_key(public_keys(jwks))
    source = jwks if jwks is not None else _default_jwks()
    return any_key(source.keys()) or any_key(source.keys(refresh=True))


def _default_jwks() -> JWKS:
    global _DEFAULT_JWKS
    if _DEFAULT_JWKS is None:
        _DEFAULT_JWKS = JWKS()
    return _DEFAULT_JWKS
