"""What refused media looks like: magic numbers of formats MiMo does not take, and text.

:mod:`.sniff` asks here only after every accepted format's own checks have failed, to
name what was found instead of calling it corrupt.
"""

from __future__ import annotations

from collections.abc import Callable

from .source import ByteData

__all__ = ["other_kind", "refused_signature", "text_kind"]

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"FORM", "AIFF"),
    (0, b"caff", "Apple CAF"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "ASF (WMA/WMV)"),
    (0, b"#!AMR", "AMR"),
    (0, b"MAC ", "Monkey's Audio (APE)"),
    (0, b"wvpk", "WavPack"),
    (0, b".snd", "Sun AU"),
    (0, b"FLV", "Flash video (FLV)"),
    (0, b"MThd", "a MIDI file (notes)"),
    (0, b"DSD ", "DSD audio (DSF)"),
    (0, b"FRM8", "DSD audio (DFF)"),
    (0, b"riff\x2e\x91\xcf\x11", "Sony Wave64"),
    (0, b"MPCK", "Musepack"),
    (0, b"TTA1", "True Audio (TTA)"),
    (0, b"\x00\x00\x01\xba", "MPEG program stream (video)"),
    (0, b"\x00\x00\x01\xb3", "MPEG video"),
)


def refused_signature(data: ByteData, head: bytes) -> str | None:
    """What a non-accepted media file is, from its magic bytes (None if unknown)."""
    for offset, magic, found in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"FORM":
                return {b"AIFF": "AIFF", b"AIFC": "AIFF-C"}.get(head[8:12])
            return found
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "WebM" if b"webm" in head[:64] else "Matroska (MKV/MKA)"
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"WEBP"):
        return "AVI video" if head[8:12] == b"AVI " else "a WebP image"
    if len(data) > 376 and data[0] == 0x47 and data[188] == 0x47 and data[376] == 0x47:
        return "MPEG transport stream (video)"
    return None


def other_kind(head: bytes, *, is_accepted_mime: Callable[[str], bool]) -> tuple[str, bool] | None:
    """(what it is, whether it holds media worth converting) from ``filetype`` or text checks.

    None when nothing is recognised, or when ``filetype`` names a format we accept (our
    own checks of that format already failed, so the bytes are corrupt, not foreign).
    """
    import filetype  # lazy: nothing heavy at import

    kind = filetype.guess(head)
    if kind is not None and is_accepted_mime(kind.mime):
        return None  # looks like an accepted format, yet our own checks failed: corrupt
    if kind is not None:
        top = kind.mime.split("/", 1)[0]
        noun = {"image": "an image", "video": "a video", "audio": "audio", "font": "a font"}.get(
            top, "a file"
        )
        return f"{noun} ({kind.mime}, .{kind.extension})", top in ("video", "audio")
    text = text_kind(head)
    return (text, False) if text else None


def text_kind(head: bytes) -> str | None:
    """ "text", "JSON text" or "an HTML page" when ``head`` reads as UTF-8 prose."""
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end
            return None
        text = head[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if len(text) < 16 or printable < 0.95 * len(text):
        return None
    lowered = text.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return "an HTML page (a download that returned a web page?)"
    if lowered.startswith(("{", "[")):
        return "JSON text"
    return "text"
