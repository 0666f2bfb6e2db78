"""File inputs: a URL string passes through; a Path or bytes becomes a data URI of the right type,
or, above the client's inline limit, a PendingUpload that goes to fal storage before the submit.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from .errors import FieldProblem

FileInput = str | Path | bytes

MIME_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "avif": "image/avif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "svg": "image/svg+xml",
    "heic": "image/heic",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "txt": "text/plain",
}
_KIND_OF_MIME = {mime: kind for kind, mime in reversed(list(MIME_TYPES.items()))}


def sniff(data: bytes) -> str | None:
    """The file kind from its first bytes, or None when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "avif"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data.startswith(b"BM"):
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data.startswith(b"%PDF"):
        return "pdf"
    return None


def _same_kind(kind: str, accepted: tuple[str, ...]) -> bool:
    aliases = {"jpg": "jpeg", "tif": "tiff"}
    return aliases.get(kind, kind) in {aliases.get(a, a) for a in accepted}


@dataclass(frozen=True)
class PendingUpload:
    """A file input too big to inline: uploaded to fal storage, then replaced by its URL."""

    data: bytes = field(repr=False)
    content_type: str
    file_name: str


def to_url(
    value: FileInput,
    field: str,
    accepted: tuple[str, ...],
    inline_up_to: int | None = None,
) -> str | PendingUpload:
    """A URL or data URI for `value` (a PendingUpload above `inline_up_to` bytes); raises
    FieldProblem-carrying ValueError for refused types."""
    if isinstance(value, Path):
        kind = value.suffix.lower().lstrip(".")
        _check(kind or None, field, accepted, f"file {value.name!r}")
        return _inline_or_upload(value.read_bytes(), kind, value.name, inline_up_to)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        sniffed = sniff(data)
        if sniffed is None:
            raise FileTypeProblem(
                FieldProblem(
                    field,
                    "file_type",
                    "cannot tell the type of these bytes; pass a Path with a suffix",
                )
            )
        _check(sniffed, field, accepted, "bytes")
        return _inline_or_upload(data, sniffed, f"{field}.{sniffed}", inline_up_to)
    if value.startswith("data:"):
        _check(
            _KIND_OF_MIME.get(value[5:].split(";", 1)[0].split(",", 1)[0].lower()),
            field,
            accepted,
            "data URI",
        )
        return value
    suffix = PurePosixPath(urlsplit(value).path).suffix.lower().lstrip(".")
    if suffix in MIME_TYPES:
        _check(suffix, field, accepted, f"URL ending in .{suffix}")
    return value


class FileTypeProblem(ValueError):
    def __init__(self, problem: FieldProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _check(kind: str | None, field: str, accepted: tuple[str, ...], what: str) -> None:
    if not accepted:
        return
    if kind is None or not _same_kind(kind, accepted):
        shown = kind or "unknown"
        raise FileTypeProblem(
            FieldProblem(
                field,
                "file_type",
                f"{what} is of type {shown}; accepted: {', '.join(accepted)}",
            )
        )


def _inline_or_upload(
    data: bytes, kind: str, name: str, inline_up_to: int | None
) -> str | PendingUpload:
    if inline_up_to is not None and len(data) > inline_up_to:
        return PendingUpload(
            data, MIME_TYPES.get(kind, "application/octet-stream"), name
        )
    return _data_uri(data, kind)


def content_type_of(data: bytes, file_name: str | None) -> str:
    """The MIME type of an upload: from the file name, else from the bytes, else octet-stream."""
    guessed = mimetypes.guess_type(file_name)[0] if file_name else None
    if guessed:
        return guessed
    kind = sniff(data)
    return (
        MIME_TYPES.get(kind, "application/octet-stream")
        if kind
        else "application/octet-stream"
    )


def _data_uri(data: bytes, kind: str) -> str:
    mime = MIME_TYPES.get(kind, "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
