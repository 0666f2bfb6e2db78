"""Uploads to fal storage, written once for both clients (flows, like the queue protocol).

1. A storage token from `{rest_url}/storage/auth/token?storage_type=fal-cdn-v3` (the API key),
   cached until its `expires_at`.
2. `POST {token base_url}/files/upload` with the bytes and `Authorization: <token_type> <token>`;
   above the multipart threshold `POST .../files/upload/multipart`, the parts `PUT` in parallel
   (each answers an `ETag`), then `POST .../complete` with the part list.
3. If the CDN fails, the fallback repository: `POST {rest_url}/storage/upload/initiate?storage_type=gcs`
   gives an `upload_url` (the bytes are `PUT` there, without the API key) and the `file_url`.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from . import _protocol as protocol
from ._files import PendingUpload
from .errors import APIError, ConnectionFailedError, UploadError

# A token this close to its expiry is renewed first, so it cannot expire in flight.
_EXPIRY_MARGIN = 30.0


def token(settings: protocol.Settings) -> protocol.Flow[protocol.CdnToken]:
    """The cached storage token, or a new one when there is none or it is about to expire."""
    current = settings.tokens.current
    if current is not None and current.expires_at - _EXPIRY_MARGIN > time.time():
        return current
    call = protocol.HttpCall(
        "POST",
        f"{settings.rest_url}/storage/auth/token",
        json={},
        params={"storage_type": "fal-cdn-v3"},
        headers=settings.headers,
    )
    reply = yield from protocol.send(call, settings.retry)
    data = reply.json()
    try:
        fresh = protocol.CdnToken(
            str(data["token"]),
            str(data.get("token_type") or "Bearer"),
            str(data["base_url"]).rstrip("/"),
            _epoch(data.get("expires_at")),
        )
    except (KeyError, TypeError, ValueError):
        raise UploadError(
            "the storage token answer lacks token, base_url or a readable expires_at"
        ) from None
    settings.tokens.current = fresh
    return fresh


def _epoch(value: Any) -> float:
    if value is None:
        return 0.0  # no expiry given: use it for this upload only
    if isinstance(value, (int, float)):
        return float(value)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def upload(
    settings: protocol.Settings, data: bytes, content_type: str, file_name: str
) -> protocol.Flow[str]:
    """The URL of `data` on fal storage: the CDN first, then the fallback repository."""
    try:
        return (yield from _to_cdn(settings, data, content_type, file_name))
    except (APIError, ConnectionFailedError, UploadError) as error:
        first = error
    try:
        return (yield from _to_storage(settings, data, content_type, file_name))
    except (APIError, ConnectionFailedError, UploadError) as error:
        raise UploadError(
            f"upload of {file_name!r} failed: CDN: {first}; fallback storage: {error}"
        ) from error


def _cdn_headers(
    settings: protocol.Settings, current: protocol.CdnToken, content_type: str
) -> dict[str, str]:
    # The storage token, never the API key: the CDN is another host.
    return {
        "User-Agent": settings.headers.get("User-Agent", ""),
        "Accept": "application/json",
        "Authorization": f"{current.token_type} {current.token}",
        "Content-Type": content_type,
    }


def _lifecycle(settings: protocol.Settings, header: str) -> dict[str, str]:
    lifecycle = settings.storage.lifecycle
    return (
        {header: json.dumps(dict(lifecycle), separators=(",", ":"))}
        if lifecycle
        else {}
    )


def _to_cdn(
    settings: protocol.Settings, data: bytes, content_type: str, file_name: str
) -> protocol.Flow[str]:
    current = yield from token(settings)
    if len(data) > settings.storage.multipart_threshold:
        return (yield from _multipart(settings, current, data, content_type, file_name))
    headers = {
        **_cdn_headers(settings, current, content_type),
        "X-Fal-File-Name": file_name,
    }
    headers.update(_lifecycle(settings, "X-Fal-Object-Lifecycle"))
    call = protocol.HttpCall(
        "POST", f"{current.base_url}/files/upload", content=data, headers=headers
    )
    reply = yield from protocol.send(call, settings.retry)
    return _field(reply, "access_url")


def _multipart(
    settings: protocol.Settings,
    current: protocol.CdnToken,
    data: bytes,
    content_type: str,
    file_name: str,
) -> protocol.Flow[str]:
    headers = {
        **_cdn_headers(settings, current, content_type),
        "X-Fal-File-Name": file_name,
    }
    headers.update(_lifecycle(settings, "X-Fal-Object-Lifecycle"))
    created = yield from protocol.send(
        protocol.HttpCall(
            "POST", f"{current.base_url}/files/upload/multipart", headers=headers
        ),
        settings.retry,
    )
    access_url, upload_id = _field(created, "access_url"), _field(created, "uploadId")
    size = max(1, settings.storage.chunk_size)
    parts = [
        _part(
            settings,
            current,
            f"{access_url}/multipart/{upload_id}/{number}",
            data[start : start + size],
            content_type,
        )
        for number, start in enumerate(range(0, len(data), size), start=1)
    ]
    etags = yield from protocol.gather(parts, settings.storage.parallel_parts)
    listing = {
        "parts": [
            {"partNumber": number, "etag": etag}
            for number, etag in enumerate(etags, start=1)
        ]
    }
    complete = protocol.HttpCall(
        "POST",
        f"{access_url}/multipart/{upload_id}/complete",
        json=listing,
        headers=_cdn_headers(settings, current, "application/json"),
    )
    yield from protocol.send(complete, settings.retry)
    return access_url


def _part(
    settings: protocol.Settings,
    current: protocol.CdnToken,
    url: str,
    chunk: bytes,
    content_type: str,
) -> protocol.Flow[str]:
    headers = {
        **_cdn_headers(settings, current, content_type),
        "Accept-Encoding": "identity",
    }  # keeps the ETag
    reply = yield from protocol.send(
        protocol.HttpCall("PUT", url, content=chunk, headers=headers), settings.retry
    )
    etag = reply.headers.get("etag")
    if not etag:
        raise UploadError(
            f"multipart part {url.rsplit('/', 1)[-1]} was stored without an ETag"
        )
    return etag


def _to_storage(
    settings: protocol.Settings, data: bytes, content_type: str, file_name: str
) -> protocol.Flow[str]:
    headers = {
        **settings.headers,
        **_lifecycle(settings, "X-Fal-Object-Lifecycle-Preference"),
    }
    initiate = protocol.HttpCall(
        "POST",
        f"{settings.rest_url}/storage/upload/initiate",
        json={"file_name": file_name, "content_type": content_type},
        params={"storage_type": "gcs"},
        headers=headers,
    )
    reply = yield from protocol.send(initiate, settings.retry)
    upload_url, file_url = _field(reply, "upload_url"), _field(reply, "file_url")
    # A signed URL on another host: it gets the bytes and nothing of ours.
    put = protocol.HttpCall(
        "PUT", upload_url, content=data, headers={"Content-Type": content_type}
    )
    yield from protocol.send(put, settings.retry)
    return file_url


def _field(reply: protocol.Reply, name: str) -> str:
    data = reply.json()
    if not isinstance(data, dict) or not isinstance(data.get(name), str):
        raise UploadError(f"the storage answer has no {name!r}: {str(data)[:200]}")
    return str(data[name])


def resolve(settings: protocol.Settings, body: Any) -> protocol.Flow[Any]:
    """`body` with every PendingUpload uploaded (in parallel) and replaced by its URL."""
    if not isinstance(body, dict):
        return body
    pending = [
        (name, value)
        for name, value in body.items()
        if isinstance(value, PendingUpload)
    ]
    if not pending:
        return body
    flows = [
        upload(settings, value.data, value.content_type, value.file_name)
        for _, value in pending
    ]
    urls = yield from protocol.gather(flows, settings.storage.parallel_parts)
    return {**body, **{name: url for (name, _), url in zip(pending, urls)}}
