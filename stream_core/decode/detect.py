"""Choose how to read a response body (``--mode auto``) from its headers and first bytes.

The Content-Type decides when it is specific; when it is missing or generic the first read is
sniffed. The engine sniffs only the first chunk it already has and never holds data back, so
:func:`needs_sniff` tells it whether waiting for that chunk matters at all.

Decisions, in order:

1. ``text/event-stream`` -> SSE; NDJSON types (``application/x-ndjson``, ``application/jsonl``,
   ``application/x-jsonlines``, ``application/json-seq``, ``application/stream+json`` and a few
   spellings) -> NDJSON. A streaming type wins over ``Content-Disposition: attachment``: the
   server says how to frame the bytes, the disposition only what a browser should do with them.
2. ``Content-Disposition: attachment`` -> DOWNLOAD.
3. Binary types (``image/*``, ``audio/*``, ``video/*``, ``font/*``, archives, PDF...) -> DOWNLOAD.
4. Generic types are sniffed:

   * missing, ``application/octet-stream``, ``application/json``, ``text/plain`` and unknown
     ``application/*``: SSE field shape -> SSE, JSON-object lines (or RFC 7464 RS) -> NDJSON;
   * otherwise ``text/plain`` -> LINES; a missing or unknown type -> LINES for printable
     UTF-8 text, RAW for binary (RAW shows the chunks, which is friendlier than a download
     nobody asked for) unless its Content-Length is ``LARGE_BODY`` or more (a file: DOWNLOAD,
     so its bytes go to disk once instead of into the window's memory and recording);
     ``application/octet-stream`` -> DOWNLOAD for binary and text alike (the server did call
     it bytes, and download mode shows progress without keeping them).

5. Other ``text/*`` and textual ``application/*`` (xml, javascript, csv...) -> LINES.
"""

from __future__ import annotations

import re
from enum import StrEnum

from stream_core.records import loads_bounded


class Mode(StrEnum):
    """How the body is framed. ``AUTO`` is resolved from the response (see ``detect``)."""

    AUTO = "auto"
    SSE = "sse"
    NDJSON = "ndjson"
    LINES = "lines"
    RAW = "raw"
    DOWNLOAD = "download"


__all__ = ["LARGE_BODY", "Mode", "detect_mode", "needs_sniff", "sniff"]

#: A binary body of unknown type this big (by its Content-Length) is a file to download.
LARGE_BODY = 8 * 1024 * 1024

_SSE_TYPES = frozenset({"text/event-stream"})
_NDJSON_TYPES = frozenset({
    "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonl",
    "application/jsonlines", "application/x-jsonlines", "application/json-seq",
    "application/stream+json", "application/x-json-stream", "application/jsonlines+json",
})
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/", "model/")
_BINARY_TYPES = frozenset({
    "application/zip", "application/gzip", "application/x-gzip", "application/x-tar",
    "application/x-bzip2", "application/x-xz", "application/zstd", "application/x-7z-compressed",
    "application/x-rar-compressed", "application/vnd.rar", "application/pdf",
    "application/wasm", "application/x-iso9660-image", "application/vnd.android.package-archive",
    "application/x-msdownload", "application/java-archive", "application/x-apple-diskimage",
})
_TEXT_APP_TYPES = frozenset({
    "application/xml", "application/javascript", "application/ecmascript",
    "application/x-www-form-urlencoded", "application/yaml", "application/x-yaml",
    "application/toml", "application/sql", "application/graphql",
})
_OCTET = "application/octet-stream"
#: Types whose body says more than the header: sniffed for SSE / NDJSON framing.
_GENERIC = frozenset({"", _OCTET, "text/plain", "application/json", "binary/octet-stream",
                      "application/unknown"})

_SSE_LINE = re.compile(r"(?:data|event|id|retry)(?::|$)")
_SNIFF_LINES = 20


def _media_type(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


def _is_attachment(content_disposition: str | None) -> bool:
    return (content_disposition or "").partition(";")[0].strip().lower() == "attachment"


def _known(media: str) -> Mode | None:
    """The mode a specific type decides by itself, or None for a type worth sniffing."""
    if media in _SSE_TYPES:
        return Mode.SSE
    if media in _NDJSON_TYPES:
        return Mode.NDJSON
    return None


def needs_sniff(content_type: str | None, content_disposition: str | None) -> bool:
    """Whether :func:`detect_mode` would look at the first bytes for these headers."""
    media = _media_type(content_type)
    if _known(media) is not None or _is_attachment(content_disposition):
        return False
    return media in _GENERIC or _is_unknown_app(media)


def _is_unknown_app(media: str) -> bool:
    return (media.startswith("application/") and media not in _BINARY_TYPES
            and media not in _TEXT_APP_TYPES and not media.endswith(("+xml", "+zip")))


def detect_mode(content_type: str | None, content_disposition: str | None,
                first_bytes: bytes, length: int | None = None) -> Mode:
    """The framing for a response; never ``Mode.AUTO``. See the module docstring.
    ``length``: the body's Content-Length, when it has one."""
    media = _media_type(content_type)
    known = _known(media)
    if known is not None:
        return known
    if _is_attachment(content_disposition):
        return Mode.DOWNLOAD
    if media.startswith(_BINARY_PREFIXES) or media in _BINARY_TYPES or media.endswith("+zip"):
        return Mode.DOWNLOAD
    if not (media in _GENERIC or _is_unknown_app(media)):
        return Mode.LINES  # text/*, xml, javascript...
    framing = sniff(first_bytes)
    if framing is not None:
        return framing
    if media == _OCTET or media == "binary/octet-stream":
        return Mode.DOWNLOAD
    if media == "text/plain" or media == "application/json" or _looks_textual(first_bytes):
        return Mode.LINES
    return Mode.DOWNLOAD if length is not None and length >= LARGE_BODY else Mode.RAW


def sniff(first_bytes: bytes) -> Mode | None:
    """SSE or NDJSON if the first bytes have that framing, else None."""
    data = first_bytes[3:] if first_bytes.startswith(b"\xef\xbb\xbf") else first_bytes
    if not data or not _looks_textual(data):
        return None
    if data.startswith(b"\x1e"):
        return Mode.NDJSON  # RFC 7464 json-seq
    text = data.decode("utf-8", "replace")
    lines = re.split(r"\r\n|\r|\n", text)
    complete = [ln for ln in lines[:-1] if ln.strip()][:_SNIFF_LINES]
    partial = lines[-1]
    candidates = complete or ([partial] if partial.strip() else [])
    if not candidates:
        return None
    if all(ln.startswith(":") or _SSE_LINE.match(ln) for ln in candidates) and any(
            _SSE_LINE.match(ln) for ln in candidates):
        return Mode.SSE
    if complete:
        if all(_is_json_object(ln) for ln in complete):
            return Mode.NDJSON
    elif partial.lstrip().startswith("{"):
        return Mode.NDJSON  # one large first record still arriving
    return None


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(loads_bounded(line), dict)
    except ValueError:
        return False


def _looks_textual(data: bytes) -> bool:
    """Mostly printable UTF-8: no NUL, few control characters, decodes (allowing a cut end)."""
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    text = sample.decode("utf-8", "replace")
    if len(sample) == len(data) or not sample:
        bad = text.count("\ufffd")
    else:  # a character may be cut at the sample's end
        bad = text[:-1].count("\ufffd")
    controls = sum(1 for c in text if c < " " and c not in "\t\n\r\f\x1b\x1e")
    return (bad + controls) * 20 <= max(len(text), 1)
