"""What an uploaded file is, judged by its bytes, never by its name.

Accepted: PDF, PNG, JPEG and plain text (including CSV) in UTF-8. Everything else is refused,
and so is text a browser could take for a page or a script (HTML, SVG, XML): a file that
starts like markup, or carries a script or markup tag near its start.
"""

from __future__ import annotations

from dataclasses import dataclass

SNIFF_BYTES = 8192  # read this much of the file to decide


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str


PDF = FileType("application/pdf", "pdf", "PDF")
PNG = FileType("image/png", "png", "PNG image")
JPEG = FileType("image/jpeg", "jpg", "JPEG image")
TEXT = FileType("text/plain", "txt", "Text")

MAGIC: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
# Text a browser or viewer might render or run: refused even though it is text.
MARKUP = (b"<!doctype", b"<html", b"<svg", b"<script", b"<?xml", b"<body", b"<iframe",
          b"<head", b"<object", b"<embed", b"<meta", b"<style", b"<a ", b"<img", b"javascript:")
BOM = b"\xef\xbb\xbf"
ALLOWED_WORDS = "a PDF, a PNG or JPEG image, or a plain text or CSV file"


def sniff(head: bytes) -> FileType | None:
    """The type of a file starting with ``head``, or None if it is not one we accept."""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return TEXT if _plain_text(head) else None


def _plain_text(head: bytes) -> bool:
    body = head.removeprefix(BOM)
    if not body or b"\x00" in body:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sniffed bytes is still text
        if exc.start < len(body) - 3:
            return False
        text = body[:exc.start].decode("utf-8")
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):  # noqa: PLR2004 - control chars
        return False
    lowered = text.lower().encode()
    return not lowered.lstrip().startswith(b"<") and not any(m in lowered for m in MARKUP)


def label_of(content_type: str) -> str:
    """What a page calls a stored document's type ("PDF")."""
    return next((kind.label for _magic, kind in MAGIC if kind.content_type == content_type),
                TEXT.label)
